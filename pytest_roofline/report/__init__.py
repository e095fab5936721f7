"""Writers that render result records: the terminal summary and the JSON report."""
