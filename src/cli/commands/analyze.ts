import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `analyze` command.
export function register(program: Command): void {
  program
    .command('analyze')
    .description('(analyze: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('analyze is not implemented yet');
    });
}
