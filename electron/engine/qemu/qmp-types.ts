/**
 * The QMP wire format (QEMU Machine Protocol), as zod schemas: what QEMU sends is parsed on
 * arrival like every other message crossing a process boundary, and the event names the
 * engine reacts to get typed payloads.
 */
import { z } from 'zod';

export const qmpGreetingSchema = z.object({
  QMP: z.object({
    version: z.object({
      qemu: z.object({ major: z.number(), minor: z.number(), micro: z.number() }),
      package: z.string(),
    }),
    capabilities: z.array(z.string()),
  }),
});
export type QmpGreeting = z.infer<typeof qmpGreetingSchema>;

export const qmpErrorSchema = z.object({ class: z.string(), desc: z.string() });

const qmpTimestamp = z.object({ seconds: z.number(), microseconds: z.number() });

/** One line from QEMU after the greeting: a reply (matched by `id`) or an event. */
export const qmpMessageSchema = z.union([
  z.object({ return: z.unknown(), id: z.string().optional() }),
  z.object({ error: qmpErrorSchema, id: z.string().optional() }),
  z.object({
    event: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
    timestamp: qmpTimestamp,
  }),
]);
export type QmpMessage = z.infer<typeof qmpMessageSchema>;

/** Payloads of the events the engine uses (QEMU's qapi/*.json); others arrive as records. */
export interface QmpEventMap {
  /** `device` is absent for devices without an id (e.g. a NIC's inner virtio-backend). */
  DEVICE_DELETED: { device?: string; path: string };
  NIC_RX_FILTER_CHANGED: { name?: string; path: string };
  SHUTDOWN: { guest: boolean; reason: string };
  POWERDOWN: Record<string, never>;
  RESET: { guest: boolean; reason: string };
  STOP: Record<string, never>;
  RESUME: Record<string, never>;
}

/** Any event name; the known ones keep their payload type. */
export type QmpEventName = keyof QmpEventMap | (string & {});
export type QmpEventData<K extends string> = K extends keyof QmpEventMap ? QmpEventMap[K] : Record<string, unknown>;

export interface QmpEvent<K extends string = string> {
  event: K;
  data: QmpEventData<K>;
  /** QEMU's clock when it emitted the event. */
  timestamp: { seconds: number; microseconds: number };
}

/** `query-status`. */
export const qmpStatusSchema = z.object({
  running: z.boolean(),
  singlestep: z.boolean().optional(),
  status: z.string(),
});
export type QmpStatus = z.infer<typeof qmpStatusSchema>;

/** `netdev_add` of a TAP that already exists (the helper creates it in the lab namespace). */
export interface QmpTapNetdev {
  type: 'tap';
  id: string;
  ifname: string;
  script?: 'no';
  downscript?: 'no';
}

/** `device_add` arguments: a driver, an id (for `device_del`), and the driver's properties. */
export interface QmpDevice {
  driver: string;
  id: string;
  [property: string]: string | number | boolean | undefined;
}

/**
 * `device_add` of a virtio NIC. On the `pc` machine give `bus: 'pci.0'` and a free `addr`
 * (slot, e.g. '0x5'): hot-plug then lands in a fixed slot, as at boot (shared/qemu-spec.ts).
 */
export interface QmpNicDevice extends QmpDevice {
  driver: 'virtio-net-pci';
  id: string;
  netdev: string;
  mac?: string;
  bus?: string;
  addr?: string;
}
