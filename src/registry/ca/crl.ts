// @peculiar/x509 needs the Reflect metadata API installed before it loads (see authority.ts).
import "reflect-metadata";

import * as x509 from "@peculiar/x509";
import type { RevocationReason } from "../model.js";
import { CaError } from "./errors.js";

/** How long a CRL is valid when the caller does not say (its nextUpdate), in milliseconds: 7 days. */
export const DEFAULT_CRL_NEXT_UPDATE_MS = 7 * 24 * 60 * 60 * 1000;

/** One revoked certificate in a CRL. */
export interface CrlEntry {
  /** Serial number, hex (as the registry records it: lowercase, no leading sign byte). */
  readonly serial: string;
  readonly revokedAt: Date;
  /** Omitted from the CRL when `unspecified` or absent, as RFC 5280 §5.3.1 asks. */
  readonly reason?: RevocationReason;
}

/** Options for `CertificateAuthority.issueCrl`. */
export interface CrlOptions {
  /** How long after now the CRL's nextUpdate lies, in milliseconds; defaults to 7 days. */
  readonly nextUpdateMs?: number;
}

const REASON_CODES: Readonly<Record<RevocationReason, x509.X509CrlReason | undefined>> = {
  unspecified: undefined,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
};

const SERIAL = /^[0-9a-f]{1,40}$/i;

/** `entries` as the generator's entry parameters; throws `BAD_SERIAL` for a serial that is not hex. */
export function crlEntryParams(entries: readonly CrlEntry[]): x509.X509CrlEntryParams[] {
  return entries.map((e) => {
    if (!SERIAL.test(e.serial)) {
      throw new CaError(
        "BAD_SERIAL",
        `cannot list serial ${JSON.stringify(e.serial)} in a CRL: expected 1 to 40 hex digits`,
      );
    }
    const reason = e.reason === undefined ? undefined : REASON_CODES[e.reason];
    return {
      serialNumber: e.serial.toLowerCase(),
      revocationDate: e.revokedAt,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

/**
 * The cRLNumber extension (RFC 5280 §5.2.3, required in a conforming CRL): a number that grows with
 * each CRL the CA issues. The CRL's thisUpdate in milliseconds serves, as the CA keeps no counter.
 */
export function crlNumberExtension(thisUpdate: Date): x509.Extension {
  const n = BigInt(thisUpdate.getTime());
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  // DER INTEGER is signed: a leading byte with the top bit set needs a zero byte before it.
  if (((bytes[0] ?? 0) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return new x509.Extension("2.5.29.20", false, Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]));
}

/**
 * The CRL as PEM that OpenSSL (and so Node's `tls`) reads. @peculiar/x509 labels it `CRL`, but
 * OpenSSL only parses `X509 CRL`; the label is rewritten and the text ends in a newline.
 */
export function opensslCrlPem(crl: x509.X509Crl): string {
  const pem = crl
    .toString("pem")
    .replace(/\r\n/g, "\n")
    .replace("-----BEGIN CRL-----", "-----BEGIN X509 CRL-----")
    .replace("-----END CRL-----", "-----END X509 CRL-----");
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}
