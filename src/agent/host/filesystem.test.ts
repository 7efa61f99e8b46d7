import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toExposition } from "./family.js";
import {
  collectFilesystem,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  FilesystemState,
  parseMountInfo,
  parseProcMounts,
} from "./filesystem.js";
import { type HostFs, NodeHostFs, type StatFsResult } from "./host-fs.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));

/** `base` with statfs answered by `statfs` and every call counted by mount point. */
function withStatfs(base: HostFs, statfs: (mountPoint: string) => Promise<StatFsResult>) {
  const calls = new Map<string, number>();
  const fs: HostFs = {
    rootPath: base.rootPath,
    readProc: (rel) => base.readProc(rel),
    readSys: (rel) => base.readSys(rel),
    listSys: (rel) => base.listSys(rel),
    readRoot: (rel) => base.readRoot(rel),
    statfs: (mp) => {
      calls.set(mp, (calls.get(mp) ?? 0) + 1);
      return statfs(mp);
    },
  };
  return { fs, calls };
}

const DISK: StatFsResult = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 5000, ffree: 4000 };

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: statfs`), { code });
}

/** A statfs that never answers until `release()` is called. */
function hung() {
  let release: () => void = () => {};
  const promise = new Promise<StatFsResult>((resolve) => {
    release = () => resolve(DISK);
  });
  return { promise, release: () => release() };
}

function series(families: Awaited<ReturnType<typeof collectFilesystem>>): Map<string, number> {
  return new Map(toExposition(families).samples.map((s) => [s.labels.toString(), s.value]));
}

describe("collectFilesystem", () => {
  const fixture = new NodeHostFs({ procPath: join(TESTDATA, "proc") });

  it("exposes size, free, avail, inodes, read-only and errors per mount, with node-exporter's labels", async () => {
    const nfs = hung();
    const { fs } = withStatfs(fixture, (mp) => {
      if (mp === "/mnt/nfs") return nfs.promise;
      if (mp === "/mnt/backup") return Promise.reject(errno("EACCES"));
      return Promise.resolve(DISK);
    });
    const got = series(await collectFilesystem(fs, new FilesystemState(), { timeoutMs: 20 }));
    nfs.release();

    const root = '{device="/dev/sda2", fstype="ext4", mountpoint="/"}';
    expect(got.get(`node_filesystem_size_bytes${root}`)).toBe(4096000);
    expect(got.get(`node_filesystem_free_bytes${root}`)).toBe(1638400);
    expect(got.get(`node_filesystem_avail_bytes${root}`)).toBe(1228800);
    expect(got.get(`node_filesystem_files${root}`)).toBe(5000);
    expect(got.get(`node_filesystem_files_free${root}`)).toBe(4000);
    expect(got.get(`node_filesystem_readonly${root}`)).toBe(0);
    expect(got.get(`node_filesystem_device_error${root}`)).toBe(0);
    expect(
      got.get('node_filesystem_mount_info{device="/dev/sda2", major="8", minor="2", mountpoint="/"}'),
    ).toBe(1);

    // \040 in mountinfo is a space; read-only from the superblock or the mount options.
    expect(
      got.get('node_filesystem_size_bytes{device="/dev/sda2", fstype="ext4", mountpoint="/home/my files"}'),
    ).toBe(4096000);
    expect(
      got.get('node_filesystem_readonly{device="/dev/nvme0n1p1", fstype="vfat", mountpoint="/boot/efi"}'),
    ).toBe(1);

    const denied =
      '{device="/dev/sdb1", device_error="permission denied", fstype="ext4", mountpoint="/mnt/backup"}';
    expect(got.get(`node_filesystem_device_error${denied}`)).toBe(1);
    expect(got.get(`node_filesystem_readonly${denied}`)).toBe(1);
    expect(got.has(`node_filesystem_size_bytes${denied}`)).toBe(false);

    const stuck =
      '{device="fileserver:/export/data", device_error="mountpoint timeout", fstype="nfs4", mountpoint="/mnt/nfs"}';
    expect(got.get(`node_filesystem_device_error${stuck}`)).toBe(1);

    const mountpoints = new Set(
      toExposition(await collectFilesystem(withStatfs(fixture, () => Promise.resolve(DISK)).fs)).samples.map(
        (s) => s.labels.get("mountpoint"),
      ),
    );
    expect([...mountpoints].sort()).toEqual([
      "/",
      "/boot/efi",
      "/home/my files",
      "/mnt/backup",
      "/mnt/nfs",
      "/run",
    ]);
  });

  it("does not ask a hung mount again until its statfs returns", async () => {
    const nfs = hung();
    const { fs, calls } = withStatfs(fixture, (mp) =>
      mp === "/mnt/nfs" ? nfs.promise : Promise.resolve(DISK),
    );
    const state = new FilesystemState();
    const opts = { timeoutMs: 20 };
    const nfsError =
      'node_filesystem_device_error{device="fileserver:/export/data", device_error="mountpoint timeout", fstype="nfs4", mountpoint="/mnt/nfs"}';

    expect(series(await collectFilesystem(fs, state, opts)).get(nfsError)).toBe(1);
    expect(state.stuck.has("/mnt/nfs")).toBe(true);

    expect(series(await collectFilesystem(fs, state, opts)).get(nfsError)).toBe(1);
    expect(calls.get("/mnt/nfs")).toBe(1);
    expect(calls.get("/")).toBe(2);

    nfs.release();
    await state.stuck.get("/mnt/nfs");
    expect(state.stuck.size).toBe(0);

    const recovered = series(await collectFilesystem(fs, state, opts));
    expect(calls.get("/mnt/nfs")).toBe(2);
    expect(recovered.has(nfsError)).toBe(false);
    expect(
      recovered.get(
        'node_filesystem_size_bytes{device="fileserver:/export/data", fstype="nfs4", mountpoint="/mnt/nfs"}',
      ),
    ).toBe(4096000);
  });

  it("falls back to /proc/self/mountinfo, then /proc/mounts", async () => {
    const proc = await mkdtemp(join(tmpdir(), "mirador-fs-"));
    try {
      await writeFile(join(proc, "mounts"), "/dev/sda2 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n");
      const { fs } = withStatfs(new NodeHostFs({ procPath: proc }), () => Promise.resolve(DISK));
      const fromMounts = series(await collectFilesystem(fs));
      expect(
        fromMounts.get('node_filesystem_size_bytes{device="/dev/sda2", fstype="ext4", mountpoint="/"}'),
      ).toBe(4096000);
      expect([...fromMounts.keys()].some((k) => k.startsWith("node_filesystem_mount_info"))).toBe(false);

      await mkdir(join(proc, "self"));
      await writeFile(join(proc, "self/mountinfo"), "28 1 8:2 / / ro,relatime shared:1 - xfs /dev/vda1 rw\n");
      const fromSelf = series(await collectFilesystem(fs));
      expect(fromSelf.get('node_filesystem_readonly{device="/dev/vda1", fstype="xfs", mountpoint="/"}')).toBe(
        1,
      );
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });

  it("fails when no mount table can be read", async () => {
    const proc = await mkdtemp(join(tmpdir(), "mirador-fs-"));
    try {
      await expect(collectFilesystem(new NodeHostFs({ procPath: proc }))).rejects.toMatchObject({
        code: "ENOENT",
      });
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });

  it("stats the real root filesystem through the root path", async () => {
    const proc = await mkdtemp(join(tmpdir(), "mirador-fs-"));
    try {
      await mkdir(join(proc, "1"));
      await writeFile(join(proc, "1/mountinfo"), "28 1 8:2 / / rw - ext4 /dev/sda2 rw\n");
      const got = series(await collectFilesystem(new NodeHostFs({ procPath: proc, rootPath: TESTDATA })));
      expect(
        got.get('node_filesystem_size_bytes{device="/dev/sda2", fstype="ext4", mountpoint="/"}'),
      ).toBeGreaterThan(0);
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });
});

describe("parseMountInfo", () => {
  it("reads optional fields, unescapes octal and strips the host root prefix", () => {
    const got = parseMountInfo(
      [
        "27 1 8:2 / /host/root rw,relatime shared:1 master:2 - ext4 /dev/sda2 rw",
        "28 27 8:1 / /host/root/boot rw - vfat /dev/sda1 rw",
        "29 1 0:50 / /hostile rw - tmpfs tmp\\011fs rw",
        "30 1 0:51 / /a\\134b rw - tmpfs tmpfs rw",
        "31 1 bad / /x rw - tmpfs tmpfs rw",
        "32 1 0:52 / /y rw tmpfs tmpfs rw",
      ].join("\n"),
      "/host/root/",
    );
    expect(got.map((m) => [m.mountPoint, m.device, m.fsType, m.major, m.minor])).toEqual([
      ["/", "/dev/sda2", "ext4", "8", "2"],
      ["/boot", "/dev/sda1", "vfat", "8", "1"],
      ["/hostile", "tmp\tfs", "tmpfs", "0", "50"],
      ["/a\\b", "tmpfs", "tmpfs", "0", "51"],
    ]);
  });

  it("never throws, whatever the text", () => {
    const token = fc.constantFrom("1", "8:2", "/", " ", "-", "\\040", "\\", "\n", "rw", "ext4", "");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token).map((a) => a.join("")),
        ),
        (text) => {
          parseMountInfo(text, "/host");
          parseProcMounts(text, "/host");
        },
      ),
    );
  });
});

describe("default exclusions", () => {
  it.each([
    ["/dev", true],
    ["/dev/shm", true],
    ["/proc", true],
    ["/sys/fs/cgroup", true],
    ["/run/credentials/getty.service", true],
    ["/var/lib/docker/overlay2/x/merged", true],
    ["/var/lib/containers/storage/overlay", true],
    ["/run", false],
    ["/run/credentials", false],
    ["/var/lib/docker", false],
    ["/devices", false],
    ["/", false],
  ])("mount point %s excluded: %s", (mp, excluded) => {
    expect(DEFAULT_MOUNT_POINTS_EXCLUDE.test(mp)).toBe(excluded);
  });

  it("leaves out pseudo filesystem types but not real or tmpfs ones", () => {
    for (const t of ["cgroup", "cgroup2", "overlay", "squashfs", "erofs", "proc", "sysfs", "tracefs"]) {
      expect(DEFAULT_FS_TYPES_EXCLUDE.has(t), t).toBe(true);
    }
    for (const t of ["ext4", "xfs", "btrfs", "tmpfs", "nfs4", "vfat", "zfs"]) {
      expect(DEFAULT_FS_TYPES_EXCLUDE.has(t), t).toBe(false);
    }
  });
});
