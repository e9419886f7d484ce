"""PostgreSQL: connections, the embedded server, migrations, leader lease, repositories."""
