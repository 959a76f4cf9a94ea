-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
-- One database per service, each owned by a role of its own: no service can read another's
-- tables. The passwords are for the local compose stack only; a real server gets its roles
-- and passwords from its operators (docs/runbook.md, "Rotate secrets").
CREATE ROLE accounts LOGIN PASSWORD 'accounts';
CREATE DATABASE accounts OWNER accounts;
CREATE ROLE payments LOGIN PASSWORD 'payments';
CREATE DATABASE payments OWNER payments;
CREATE ROLE invoicing LOGIN PASSWORD 'invoicing';
CREATE DATABASE invoicing OWNER invoicing;
CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE notifications OWNER notifications;
