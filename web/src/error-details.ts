/**
 * The details an error notice lists under its sentence: those the sentence does not already say.
 * A schema error's sentence names its one field and reason, and its details repeat them for
 * scripts; the page says each thing once.
 */
export interface ErrorDetail {
  path?: string;
  message: string;
  where?: string;
}

export function detailsBeyond<T extends ErrorDetail>(sentence: string, details: readonly T[]): T[] {
  return details.filter((d) => !sentence.includes(d.message));
}
