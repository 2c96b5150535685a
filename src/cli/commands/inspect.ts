import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `inspect` command.
export function register(program: Command): void {
  program
    .command('inspect')
    .description('(inspect: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('inspect is not implemented yet');
    });
}
