"""Energy pools: scraping, the read-only snapshot (`pool.*`, `energy.*`), status and admin APIs, fee quote."""
