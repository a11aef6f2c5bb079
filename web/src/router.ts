import { useEffect, useState } from "react";

/**
 * Hash routes (`#/workflows/12`): the server serves one index.html and every deep link still
 * works after a reload without server-side route knowledge.
 */
export function currentPath(): string {
  return window.location.hash.replace(/^#/, "") || "/";
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return path;
}
