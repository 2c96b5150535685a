import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `serve` command.
export function register(program: Command): void {
  program
    .command('serve')
    .description('(serve: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('serve is not implemented yet');
    });
}
