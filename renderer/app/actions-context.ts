import { createContext, useContext } from 'react';
import type { LabActions } from './lab-actions.js';

export const ActionsContext = createContext<LabActions | null>(null);

export function useActions(): LabActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useActions outside <ActionsContext.Provider>: the app shell must provide the lab actions');
  return actions;
}
