/**
 * A page's list of stored things (settings, API tokens) as one table in a card: the columns named,
 * a last column for the row's buttons, and an empty state instead of an empty table.
 */
import type { ReactNode } from "react";
import { Empty } from "./ui.tsx";

export function ListTable({
  label,
  columns,
  count,
  empty,
  children,
}: {
  /** The table's accessible name. */
  label: string;
  columns: string[];
  /** How many rows there are; undefined while loading (nothing shown). */
  count: number | undefined;
  /** The empty state's title. */
  empty: string;
  /** The rows, each ending with its buttons' cell. */
  children: ReactNode;
}) {
  if (count === undefined) return null;
  if (count === 0) return <Empty title={empty} />;
  return (
    <div className="card">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
