// The one list of CLI command groups.
import type { CommandGroup } from '../context.js';
import { systemCommands } from './system.js';
import { resourceCommands } from './resources.js';
import { containerCommands } from './containers.js';
import { servicesCommands } from './services.js';
import { imagesCommands } from './images.js';
import { functionCommands } from './functions.js';
import { simCommands } from './sim.js';
import { dashboardCommands } from './dashboard.js';
import { autoscalerCommands } from './autoscaler.js';

export const commandGroups: readonly CommandGroup[] = [systemCommands, resourceCommands, containerCommands, imagesCommands, dashboardCommands, simCommands, functionCommands, servicesCommands, autoscalerCommands];
