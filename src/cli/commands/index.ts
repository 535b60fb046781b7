// The one list of CLI command groups.
import type { CommandGroup } from '../context.js';
import { systemCommands } from './system.js';

export const commandGroups: readonly CommandGroup[] = [systemCommands];
