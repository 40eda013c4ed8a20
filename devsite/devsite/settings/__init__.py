"""Settings for the development site: base (SQLite, eager tasks), mariadb (MariaDB + Redis), test."""
