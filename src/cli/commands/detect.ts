import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `detect` command.
export function register(program: Command): void {
  program
    .command('detect')
    .description('(detect: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('detect is not implemented yet');
    });
}
