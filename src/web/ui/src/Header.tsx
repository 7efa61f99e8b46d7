import { useEffect, useState } from "preact/hooks";
import { fetchVersion } from "./api";

/** The top bar: product name and, when the seed reports it, its build version. */
export function Header() {
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    fetchVersion(controller.signal).then(
      (v) => controller.signal.aborted || setVersion(v),
      () => {}, // No version is no reason to bother anyone.
    );
    return () => controller.abort();
  }, []);

  return (
    <header class="topbar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span class="brand-name">Mirador</span>
        <span class="brand-tagline">Fleet monitoring</span>
      </div>
      {version !== null && (
        <span class="version" data-testid="build-version" title="Seed build version">
          v{version.replace(/^v/, "")}
        </span>
      )}
    </header>
  );
}
