/** Plain data the dissection core hands to the UI (structured-clone friendly: no wasm objects). */

export interface PacketRow {
  /** Frame number in the whole capture (1-based, keeps counting after ring eviction). */
  number: number;
  /** Seconds since the first packet of the capture. */
  relTime: number;
  /** Seconds since the epoch. */
  absTime: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  /** Wireshark colouring rule colours, 0xRRGGBB. */
  bg: number;
  fg: number;
}

export interface TreeNode {
  label: string;
  /** Display filter for this field (`ip.src == 10.0.0.1`), empty for text-only items. */
  filter: string;
  /** Byte range in the data source `source`; length 0 = no bytes. */
  start: number;
  length: number;
  source: number;
  children: TreeNode[];
}

export interface FrameDetails {
  number: number;
  tree: TreeNode[];
  /** Raw bytes of each data source (frame, reassembled, decompressed …), with its name. */
  sources: { name: string; bytes: Uint8Array }[];
}

export interface CaptureStats {
  /** Packets indexed so far (including evicted ones). */
  total: number;
  /** Packets dropped from memory by the ring. */
  evicted: number;
  /** Packets kept in memory. */
  retained: number;
  retainedBytes: number;
  /** Rows in the current view (all retained packets, or those matching the display filter). */
  rows: number;
  /** Packets the display filter has not checked yet (0 without a filter). */
  pending: number;
  /** Rows of an opened file whose columns the background listing has still to read. */
  listing: number;
  /** Segments (1,024 packets) filtered or listed by helper workers on other cores. */
  helped: number;
  filter: string;
}

export interface RingLimit {
  maxPackets: number;
  maxBytes: number;
}

export const DEFAULT_RING: RingLimit = { maxPackets: 1_000_000, maxBytes: 512 * 1024 * 1024 };

export interface FollowResult {
  client: string;
  server: string;
  clientBytes: number;
  serverBytes: number;
  /** Payloads in order; `fromServer` tells the direction. */
  payloads: { number: number; fromServer: boolean; data: Uint8Array }[];
}

export interface FilterCheck {
  ok: boolean;
  error: string;
}

export interface FieldCompletion {
  field: string;
  name: string;
}
