import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAgentConfigFile } from "./agent-config-file.js";

describe("loadAgentConfigFile", () => {
  const root = mkdtempSync(join(tmpdir(), "mirador-agent-file-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function write(dir: string, yaml: string): string {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "agent.yaml");
    writeFileSync(file, yaml);
    return file;
  }

  it("reads relative tls files and data_dir from the file's directory, whatever the working directory", () => {
    const dir = join(root, "bundle");
    const file = write(
      dir,
      "cluster: c1\nremote_write_url: https://seed:9701/api/v1/push\ntls: {cert_file: tls.crt, key_file: keys/tls.key, ca_file: ../ca.crt}\ndata_dir: data\n",
    );
    for (const given of [file, relative(process.cwd(), file)]) {
      const cfg = loadAgentConfigFile(given);
      expect(cfg.tls).toEqual({
        cert_file: join(dir, "tls.crt"),
        key_file: join(dir, "keys", "tls.key"),
        ca_file: join(root, "ca.crt"),
      });
      expect(cfg.data_dir).toBe(join(dir, "data"));
    }
  });

  it("keeps absolute paths, and puts the default data_dir beside the file", () => {
    const file = write(
      join(root, "abs"),
      "cluster: c1\nremote_write_url: https://seed:9701/api/v1/push\ntls: {cert_file: /etc/m/tls.crt, key_file: /etc/m/tls.key, ca_file: /etc/m/ca.crt}\n",
    );
    const cfg = loadAgentConfigFile(file);
    expect(cfg.tls?.cert_file).toBe("/etc/m/tls.crt");
    expect(cfg.data_dir).toBe(join(root, "abs", "data", "agent"));
  });

  it("leaves a configuration without tls alone", () => {
    const file = write(
      join(root, "plain"),
      "cluster: c1\nremote_write_url: http://127.0.0.1:9/api/v1/push\ndata_dir: /var/lib/x\n",
    );
    const cfg = loadAgentConfigFile(file);
    expect(cfg.tls).toBeUndefined();
    expect(cfg.data_dir).toBe("/var/lib/x");
  });
});
