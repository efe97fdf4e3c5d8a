import { ReactFlowProvider } from '@xyflow/react';
import { Canvas } from '../canvas/Canvas.js';
import { Palette } from '../canvas/Palette.js';
import { EdgeHoverCard } from '../canvas/EdgeHoverCard.js';
import { EdgeMenu } from '../canvas/EdgeMenu.js';
import { Inspector } from '../inspector/Inspector.js';
import { Toolbar } from './Toolbar.js';
import { ProblemsPanel } from './ProblemsPanel.js';
import { Dialogs, Notices } from './Dialogs.js';
import { BottomDock } from '../consoles/BottomDock.js';
import { VmContextMenu } from '../consoles/VmContextMenu.js';

export function App({ mode }: { mode: 'electron' | 'browser' }) {
  return (
    <ReactFlowProvider>
      <div className="wb-app">
        <Toolbar mode={mode} />
        <div className="wb-main">
          <Palette />
          <Canvas />
          <Inspector />
        </div>
        <ProblemsPanel />
        <BottomDock />
        <EdgeHoverCard />
        <EdgeMenu />
        <VmContextMenu />
        <Dialogs />
        <Notices />
      </div>
    </ReactFlowProvider>
  );
}
