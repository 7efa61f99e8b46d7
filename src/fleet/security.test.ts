import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedImpostor } from "../registry/ca/impostor.testlib.js";
import { CertificateAuthority } from "../registry/ca/index.js";
import type { IssuedBundleCertificate } from "../registry/model.js";
import { WRITE_HEADERS, writeBody } from "../test-support/remote-write.js";
import { Fleet, gatewayPost } from "./fleet.testlib.js";

/**
 * Tries, and fails, to write as another tenant through the gateway: every way in that is not the
 * tenant's own valid certificate is refused, and no refused write leaves data anywhere.
 */
describe("gateway security: nobody writes as another tenant", () => {
  let fleet: Fleet;
  let ca: string;
  let port: number;
  let a: IssuedBundleCertificate;
  const otherDirs: string[] = [];

  beforeAll(async () => {
    fleet = await Fleet.start();
    ca = fleet.registry.ca.certPem;
    port = fleet.config.gateway.port;
    a = (await fleet.onboard("sec-a")).issued;
    await fleet.onboard("sec-b");
  });
  afterAll(async () => {
    await fleet.stop();
    for (const d of otherDirs) rmSync(d, { recursive: true, force: true });
  });

  const push = (identity: { certPem: string; keyPem: string } | undefined, headers = {}) =>
    gatewayPost(
      port,
      ca,
      identity,
      "/api/v1/push",
      writeBody([[{ __name__: "sec_probe", cluster: "sec-b" }, [[Date.now(), 1]]]]),
      { ...WRITE_HEADERS, ...headers },
    );

  async function probes(tenant: string): Promise<number> {
    return (await fleet.query(tenant, "sec_probe")).length;
  }

  it("files a write under the certificate's cluster whatever X-Scope-OrgID says", async () => {
    const res = await push(a, { "X-Scope-OrgID": "sec-b" });
    expect(res).toMatchObject({ status: 204 });
    expect(await probes("sec-a")).toBe(1);
    expect(await probes("sec-b")).toBe(0);
  });

  it("refuses a certificate naming another cluster issued by a foreign CA, and a self-signed one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirador-foreign-ca-"));
    otherDirs.push(dir);
    const foreign = await (await CertificateAuthority.loadOrCreate(dir)).issueClientCertificate("sec-b");
    expect(await push(foreign)).toHaveProperty("error");
    expect(await push(await selfSignedImpostor("sec-b"))).toHaveProperty("error");
    expect(await probes("sec-b")).toBe(0);
  });

  it("refuses an expired certificate issued by the seed's own CA", async () => {
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const pastCA = await CertificateAuthority.loadOrCreate(join(fleet.config.data_dir, "registry", "ca"), {
      now: () => twoDaysAgo,
    });
    const expired = await pastCA.issueClientCertificate("sec-b", { lifetimeMs: 3_600_000 });
    expect(expired.notAfter.getTime()).toBeLessThan(Date.now());
    expect(await push(expired)).toHaveProperty("error");
    expect(await probes("sec-b")).toBe(0);
  });

  it("refuses a revoked certificate on the next connection, without a restart", async () => {
    const { issued } = await fleet.onboard("sec-c");
    expect(await push(issued)).toMatchObject({ status: 204 });
    await fleet.registry.service.revokeCertificates("sec-c", issued.certificate.serial, "keyCompromise");
    expect(await push(issued)).toHaveProperty("error");
    expect((await fleet.query("sec-c", "sec_probe")).length).toBe(1);
  });

  it("refuses the certificate of a removed cluster", async () => {
    const { issued } = await fleet.onboard("sec-d");
    await fleet.registry.service.removeCluster("sec-d");
    expect(await push(issued)).toHaveProperty("error");
    expect(await probes("sec-d")).toBe(0);
  });

  it("refuses a server certificate used as a client certificate", async () => {
    const server = await fleet.registry.ca.issueServerCertificate(["sec-b"]);
    expect(await push(server)).toHaveProperty("error");
  });

  it("answers no plain HTTP on the gateway port", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(
          "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nX-Scope-OrgID: sec-b\r\nContent-Length: 0\r\n\r\n",
        );
      });
      let text = "";
      socket.on("data", (b: Buffer) => (text += b.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    expect(answer).not.toMatch(/^HTTP\/1\.[01] 2/);
    expect(await probes("sec-b")).toBe(0);
  });
});
