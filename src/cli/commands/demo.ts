import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `demo` command.
export function register(program: Command): void {
  program
    .command('demo')
    .description('(demo: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('demo is not implemented yet');
    });
}
