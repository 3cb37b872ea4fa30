"""Reports by region and date. Each report is its own module with its own router."""
