import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateAuthority, type IssuedCertificate } from "../../registry/index.js";
import { chooseIdentity, describeIdentity, type Identity, renewalReason, saveIdentity } from "./identity.js";

const DAY = 86_400_000;
let root: string;
let ca: CertificateAuthority;
let other: CertificateAuthority;
let configured: IssuedCertificate;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mirador-identity-"));
  ca = await CertificateAuthority.loadOrCreate(join(root, "ca"));
  other = await CertificateAuthority.loadOrCreate(join(root, "other"));
  configured = await ca.issueClientCertificate("c1", { lifetimeMs: 30 * DAY });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const tls = (c: IssuedCertificate, caPem = ca.certPem) => ({ cert: c.certPem, key: c.keyPem, ca: caPem });
let dirs = 0;

/** A data directory holding `c` as the renewed pair of `generation`. */
async function withRenewed(c: IssuedCertificate, generation: number): Promise<string> {
  const dir = join(root, `data-${++dirs}`);
  await saveIdentity(dir, describeIdentity(tls(c), generation, "renewed"));
  return dir;
}

describe("chooseIdentity", () => {
  const choose = (dir: string) => {
    const warnings: string[] = [];
    return chooseIdentity(tls(configured), dir, "c1", Date.now(), (m) => warnings.push(m)).then((id) => ({
      id,
      warnings,
    }));
  };

  it("takes the configured pair when nothing was renewed", async () => {
    const { id, warnings } = await choose(join(root, "empty"));
    expect(id).toMatchObject({ source: "configured", generation: 0, serial: configured.serialNumber });
    expect(warnings).toEqual([]);
  });

  it("prefers a renewed pair that chains to the CA, names the cluster and expires later", async () => {
    const renewed = await ca.issueClientCertificate("c1", { lifetimeMs: 90 * DAY });
    const dir = await withRenewed(renewed, 3);
    const { id } = await choose(dir);
    expect(id).toMatchObject({ source: "renewed", generation: 3, serial: renewed.serialNumber });
    const files = (await readdir(join(dir, "tls"))).sort();
    expect(files).toEqual([
      `client-${renewed.serialNumber}.crt`,
      `client-${renewed.serialNumber}.key`,
      "state.json",
    ]);
    expect((await stat(join(dir, "tls", `client-${renewed.serialNumber}.key`))).mode & 0o777).toBe(0o600);
  });

  it.each([
    [
      "another cluster's",
      () => ca.issueClientCertificate("c2", { lifetimeMs: 90 * DAY }),
      false,
      /names cluster "c2"/,
    ],
    [
      "another CA's",
      () => other.issueClientCertificate("c1", { lifetimeMs: 90 * DAY }),
      false,
      /not issued by the configured CA/,
    ],
    [
      "an earlier-expiring",
      () => ca.issueClientCertificate("c1", { lifetimeMs: 10 * DAY }),
      false,
      /expires before/,
    ],
    [
      "a mismatched key's",
      () => ca.issueClientCertificate("c1", { lifetimeMs: 90 * DAY }),
      true,
      /does not belong/,
    ],
  ])("keeps the configured pair over %s renewed pair, saying why", async (_what, issue, wrongKey, why) => {
    const renewed = await issue();
    const dir = join(root, `data-${++dirs}`);
    // Saved as it is, whatever it is: chooseIdentity must check.
    const id: Identity = {
      cert: renewed.certPem,
      key: wrongKey ? configured.keyPem : renewed.keyPem,
      ca: ca.certPem,
      serial: renewed.serialNumber,
      notBefore: 0,
      notAfter: renewed.notAfter.getTime(),
      generation: 1,
      source: "renewed",
    };
    await saveIdentity(dir, id);
    const warnings: string[] = [];
    const chosen = await chooseIdentity(tls(configured), dir, "c1", Date.now(), (m, f) =>
      warnings.push(f.err instanceof Error ? `${m}: ${f.err.message}` : m),
    );
    expect(chosen.source).toBe("configured");
    expect(warnings.join("\n")).toMatch(why);
  });
});

describe("renewalReason", () => {
  const id = { notBefore: 0, notAfter: 90 * DAY, generation: 2 } as Identity;
  it.each([
    [30 * DAY, 2, undefined],
    [60 * DAY - 1, 2, undefined],
    [60 * DAY + 1, 2, "expiring"],
    [10 * DAY, 3, "generation"],
    [10 * DAY, 1, undefined],
  ])("at %d ms with wanted generation %d: %s", (now, wanted, reason) => {
    expect(renewalReason(id, 1 / 3, wanted, now)).toBe(reason);
  });
});
