import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `simulate` command.
export function register(program: Command): void {
  program
    .command('simulate')
    .description('(simulate: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('simulate is not implemented yet');
    });
}
