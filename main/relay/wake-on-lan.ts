import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { MacAddressSchema } from '../../shared/model/hosts.ts';

/** A magic packet: 6 bytes of 0xFF, then the target's MAC address 16 times. */
export const MAGIC_PACKET_SYNC_BYTES = 6;
export const MAGIC_PACKET_MAC_REPEATS = 16;
export const MAGIC_PACKET_BYTES = MAGIC_PACKET_SYNC_BYTES + 6 * MAGIC_PACKET_MAC_REPEATS;
/** The customary Wake-on-LAN port (discard); 7 is the other one in use. */
export const DEFAULT_WAKE_PORT = 9;
/** UDP is lossy and sleeping NICs are picky: each wake sends the packet this many times. */
export const MAGIC_PACKET_COPIES = 3;

export interface WakeTarget {
  /** Where the packet goes: a broadcast address (for example 192.168.1.255), or a unicast one. */
  readonly address: string;
  readonly port: number;
}

/** The 102-byte magic packet for `mac` (`00:11:22:33:44:55` or `00-11-22-33-44-55`). */
export function magicPacket(mac: string): Buffer {
  if (!MacAddressSchema.safeParse(mac).success) throw new TypeError(`"${mac}" is not a MAC address`);
  const macBytes = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  const packet = Buffer.alloc(MAGIC_PACKET_BYTES, 0xff);
  for (let i = 0; i < MAGIC_PACKET_MAC_REPEATS; i += 1) {
    macBytes.copy(packet, MAGIC_PACKET_SYNC_BYTES + i * macBytes.length);
  }
  return packet;
}

/** Sends the magic packet for `mac` to `target` (broadcast allowed), `copies` times. */
export async function sendMagicPacket(
  mac: string,
  target: WakeTarget,
  copies: number = MAGIC_PACKET_COPIES,
): Promise<void> {
  const packet = magicPacket(mac);
  const family = isIP(target.address);
  if (family === 0) throw new TypeError(`"${target.address}" is not an IP address`);
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (family === 4) socket.setBroadcast(true);
    for (let i = 0; i < copies; i += 1) {
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, target.port, target.address, (error) => (error ? reject(error) : resolve())),
      );
    }
  } finally {
    socket.close();
  }
}
