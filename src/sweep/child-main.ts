// The sweep child's entry when commons runs from its TypeScript sources (tests under tsx): the CLI's
// own entry imports modules that only its bundle can load. The bundle runs the same code as
// `commons __sweep-child` (src/cli/main.ts).
import { sweepChildCommand } from './child.ts';

await sweepChildCommand();
