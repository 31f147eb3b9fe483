// Ethernet MAC addresses for --net-mac and for interfaces given none.
import { randomFillSync } from 'node:crypto';

const MAC_TEXT = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/i;

/** Parses six 1–2 digit hex octets separated by ':' ("42:af:a2:0:1:ff"); null if the text is anything else. */
export function parseMac(text: string): Uint8Array | null {
  if (!MAC_TEXT.test(text)) return null;
  return Uint8Array.from(text.split(':'), (octet) => parseInt(octet, 16));
}

/** A random unicast, locally administered address (bit 0 of the first octet clear, bit 1 set). */
export function randomMac(): Uint8Array {
  const mac = randomFillSync(new Uint8Array(6));
  mac[0] = (mac[0]! & 0xfe) | 0x02;
  return mac;
}

/** "xx:xx:xx:xx:xx:xx" in lower-case hex. */
export function formatMac(mac: Uint8Array): string {
  if (mac.length !== 6) throw new RangeError(`a MAC address has 6 octets, not ${mac.length}`);
  return Array.from(mac, (octet) => octet.toString(16).padStart(2, '0')).join(':');
}
