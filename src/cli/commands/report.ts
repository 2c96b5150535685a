import { Command } from 'commander';
import { PyroliveError } from '../../errors';

// Placeholder: replaced by the issue that builds the `report` command.
export function register(program: Command): void {
  program
    .command('report')
    .description('(report: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new PyroliveError('report is not implemented yet');
    });
}
