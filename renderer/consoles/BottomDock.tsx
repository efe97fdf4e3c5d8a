/**
 * The dock under the canvas: the packet viewers' tabs and the VM consoles' tabs side by side
 * in one strip, with the body of whichever tab is in front.
 */
import { useEffect, useRef } from 'react';
import { PacketDock } from '../packets/PacketDock.js';
import { usePackets } from '../packets/packets-store.js';
import { ConsoleBody, ConsoleTabs } from './ConsolePanel.js';
import { useConsoles } from './consoles-store.js';

export function BottomDock() {
  const consoleCount = useConsoles((s) => s.tabs.length);
  const active = useConsoles((s) => s.active);
  const packetTabs = usePackets((s) => s.tabs.length);
  const seenPacketTabs = useRef(packetTabs);
  // A packet viewer that was just opened comes to the front.
  useEffect(() => {
    if (packetTabs > seenPacketTabs.current) useConsoles.getState().activate(null);
    seenPacketTabs.current = packetTabs;
  }, [packetTabs]);
  return (
    <PacketDock
      neighbours={{
        count: consoleCount,
        tabs: <ConsoleTabs />,
        body: active ? <ConsoleBody key={active} vm={active} /> : null,
        onPacketTab: () => useConsoles.getState().activate(null),
      }}
    />
  );
}
