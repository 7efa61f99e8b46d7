import type { Stats } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { syncDir, writeTempFile } from "../../lib/fs/atomic-file.js";
import { CaError } from "./errors.js";

/** Name of the CA certificate file (PEM, mode 0644) inside the CA directory. */
export const CA_CERT_FILE = "ca.crt";

/** Name of the CA private key file (PKCS#8 PEM, mode 0600) inside the CA directory. */
export const CA_KEY_FILE = "ca.key";

/** The CA's certificate and private key, both PEM text. */
export interface CaFiles {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Reads the CA certificate and key from `dir`. Returns `undefined` when neither file exists (a CA
 * should be created), and throws a `CaError` when only one of them exists, when one cannot be read,
 * or when the key file is readable by anyone but its owner.
 *
 * A key file with a looser mode than 0600 is refused, not tightened: the key may already have been
 * read by others (replace the CA rather than keep using it), and the usual sources of such files,
 * Kubernetes Secret volumes and restored backups, are often read-only, so a silent chmod would not
 * work there anyway.
 */
export async function readCaFiles(dir: string): Promise<CaFiles | undefined> {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const [certStat, keyStat] = await Promise.all([statOrUndefined(certPath), statOrUndefined(keyPath)]);
  if (certStat === undefined && keyStat === undefined) return undefined;
  if (certStat === undefined || keyStat === undefined) {
    const [present, missing] = certStat === undefined ? [keyPath, certPath] : [certPath, keyPath];
    throw new CaError(
      "CA_INCOMPLETE",
      `certificate authority in ${dir} is incomplete: ${present} exists but ${missing} does not; ` +
        `restore ${missing} from a backup, or remove ${present} to create a new CA ` +
        "(a new CA invalidates every certificate issued so far)",
    );
  }
  return readPair(certPath, certStat, keyPath, keyStat);
}

/**
 * Reads a CA certificate and key that the admin supplies (`registry.ca_cert_file`,
 * `registry.ca_key_file`), with the same checks as {@link readCaFiles}; both files must exist.
 * Nothing is ever written next to them.
 */
export async function readSuppliedCaFiles(certPath: string, keyPath: string): Promise<CaFiles> {
  const [certStat, keyStat] = await Promise.all([statOrUndefined(certPath), statOrUndefined(keyPath)]);
  const missing = (key: string, path: string) =>
    new CaError("CA_UNREADABLE", `${key} names ${path}, which does not exist`);
  if (certStat === undefined) throw missing("registry.ca_cert_file", certPath);
  if (keyStat === undefined) throw missing("registry.ca_key_file", keyPath);
  return readPair(certPath, certStat, keyPath, keyStat);
}

async function readPair(
  certPath: string,
  certStat: Stats,
  keyPath: string,
  keyStat: Stats,
): Promise<CaFiles> {
  if (!certStat.isFile() || !keyStat.isFile()) {
    const bad = certStat.isFile() ? keyPath : certPath;
    throw new CaError("CA_UNREADABLE", `${bad} is not a regular file`);
  }
  // POSIX modes mean nothing on Windows, where every file reports 0666 or 0444.
  if (process.platform !== "win32" && (keyStat.mode & 0o077) !== 0) {
    const mode = (keyStat.mode & 0o777).toString(8).padStart(4, "0");
    throw new CaError(
      "CA_KEY_PERMISSIONS",
      `CA private key ${keyPath} has mode ${mode} but must be readable by its owner only: ` +
        `run "chmod 600 ${keyPath}" (in Kubernetes, mount the Secret with defaultMode: 0600 or 0400)`,
    );
  }
  const [certPem, keyPem] = await Promise.all([readText(certPath), readText(keyPath)]);
  return { certPem, keyPem };
}

/**
 * Writes the CA certificate (mode 0644) and key (mode 0600) into `dir`, creating `dir` with mode
 * 0700 if it is missing. Each file is written to a temporary file with its final mode, flushed,
 * then renamed into place, so the key is never readable by others and never half-written. The
 * key is renamed first; a crash between the two renames leaves a state `readCaFiles` reports.
 * The caller must own `dir`: existing files are replaced.
 */
export async function writeCaFiles(dir: string, files: CaFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyTmp = await writeTempFile(join(dir, CA_KEY_FILE), files.keyPem, 0o600);
  let certTmp: string;
  try {
    certTmp = await writeTempFile(join(dir, CA_CERT_FILE), files.certPem, 0o644);
  } catch (err) {
    await rm(keyTmp, { force: true });
    throw err;
  }
  await rename(keyTmp, join(dir, CA_KEY_FILE));
  await rename(certTmp, join(dir, CA_CERT_FILE));
  await syncDir(dir);
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrnoException(err) && err.code === "ENOENT") return undefined;
    throw new CaError("CA_UNREADABLE", `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new CaError("CA_UNREADABLE", `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && "code" in err;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
