-- An stsdesk SQLite database made by commit d86d253 (users.modified_at present, no alembic_version) (Store.create_schema plus a little data), as
-- sqlite3 .dump; tests/server/test_migrations.py upgrades it in place.
BEGIN TRANSACTION;
CREATE TABLE application_claims (
	application_id VARCHAR(36) NOT NULL, 
	claim_uri VARCHAR(1024) NOT NULL, 
	position INTEGER NOT NULL, 
	mandatory BOOLEAN NOT NULL, 
	CONSTRAINT pk_application_claims PRIMARY KEY (application_id, claim_uri), 
	CONSTRAINT fk_application_claims_application_id_applications FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE TABLE applications (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description TEXT NOT NULL, 
	subject_claim_uri VARCHAR(1024), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_applications PRIMARY KEY (id), 
	CONSTRAINT uq_applications_name UNIQUE (name)
);
INSERT INTO "applications" VALUES('0b8bbbe0-e8a2-4045-a364-d03fb85096b3','legacy-app','made before migrations',NULL,'2026-11-26 17:16:16.278692');
CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(255) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	target TEXT NOT NULL, 
	detail TEXT NOT NULL, 
	CONSTRAINT pk_audit_log PRIMARY KEY (id)
);
INSERT INTO "audit_log" VALUES(1,'2026-11-26 17:16:16.281694','alice','legacy','target','detail');
CREATE TABLE config_state (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	signing_alias VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_config_state PRIMARY KEY (id)
);
INSERT INTO "config_state" VALUES(1,4,'wso2carbon');
CREATE TABLE config_values (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_config_values PRIMARY KEY ("key")
);
INSERT INTO "config_values" VALUES('resident_idp','{"home_realm_identifiers": ["localhost"], "idle_session_timeout_minutes": 15, "issuer": "localhost", "remember_me_minutes": 20160}');
INSERT INTO "config_values" VALUES('security_policy','{"allowed_roles": ["admin"], "enabled": true, "private_keystore": null, "proof_key_type": "BinarySecret", "scenario_id": "scenario1", "trusted_keystores": [], "user_store_domain": "ALL-USER-STORE-DOMAINS"}');
INSERT INTO "config_values" VALUES('token_settings','{"clock_skew_seconds": 300, "default_lifetime_seconds": 300, "max_lifetime_seconds": 28800}');
INSERT INTO "config_values" VALUES('lockout_policy','{"lockout_seconds": 300, "max_failed_attempts": 5}');
CREATE TABLE issued_tokens (
	token_id VARCHAR(255) NOT NULL, 
	token_type VARCHAR(16) NOT NULL, 
	subject TEXT NOT NULL, 
	audience TEXT, 
	issued_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	renew_allowed BOOLEAN NOT NULL, 
	renew_after_expiry BOOLEAN NOT NULL, 
	replaced_by VARCHAR(255), 
	CONSTRAINT pk_issued_tokens PRIMARY KEY (token_id)
);
INSERT INTO "issued_tokens" VALUES('_legacy-token','SAML20','alice','https://rp.example.org','2026-01-02 03:04:05.000000','2026-01-02 03:09:05.000000','active',1,0,NULL);
CREATE TABLE nonces (
	digest BLOB NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_nonces PRIMARY KEY (digest)
);
CREATE TABLE relying_parties (
	application_id VARCHAR(36) NOT NULL, 
	audience VARCHAR(2048) NOT NULL, 
	certificate_alias VARCHAR(255), 
	token_type VARCHAR(16) NOT NULL, 
	key_type VARCHAR(16) NOT NULL, 
	encrypt_token BOOLEAN NOT NULL, 
	encryption_algorithm VARCHAR(1024) NOT NULL, 
	key_transport_algorithm VARCHAR(1024) NOT NULL, 
	signature_algorithm VARCHAR(1024) NOT NULL, 
	digest_algorithm VARCHAR(1024) NOT NULL, 
	token_lifetime_seconds INTEGER, 
	name_id_format VARCHAR(1024) NOT NULL, 
	CONSTRAINT pk_relying_parties PRIMARY KEY (application_id), 
	CONSTRAINT fk_relying_parties_application_id_applications FOREIGN KEY(application_id) REFERENCES applications (id) ON DELETE CASCADE, 
	CONSTRAINT uq_relying_parties_audience UNIQUE (audience), 
	CONSTRAINT fk_relying_parties_certificate_alias_trusted_certificates FOREIGN KEY(certificate_alias) REFERENCES trusted_certificates (alias) ON DELETE RESTRICT
);
CREATE TABLE roles (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	modified_at DATETIME, 
	CONSTRAINT pk_roles PRIMARY KEY (id), 
	CONSTRAINT uq_roles_name UNIQUE (name)
);
INSERT INTO "roles" VALUES('6034d64d-8e2d-4beb-b529-2d4ea5459904','admin','2026-11-26 17:16:16.239167',NULL);
CREATE TABLE signing_keys (
	alias VARCHAR(255) NOT NULL, 
	private_key_pem BLOB NOT NULL, 
	certificate_der BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_signing_keys PRIMARY KEY (alias)
);
CREATE TABLE trusted_certificates (
	alias VARCHAR(255) NOT NULL, 
	certificate_der BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_trusted_certificates PRIMARY KEY (alias)
);
CREATE TABLE user_claims (
	user_id VARCHAR(36) NOT NULL, 
	claim_uri VARCHAR(1024) NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_user_claims PRIMARY KEY (user_id, claim_uri), 
	CONSTRAINT fk_user_claims_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO "user_claims" VALUES('23cce616-bcbc-43e7-94c6-4ce2c9623b82','http://wso2.org/claims/emailaddress','alice@example.org');
CREATE TABLE user_roles (
	user_id VARCHAR(36) NOT NULL, 
	role_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_user_roles PRIMARY KEY (user_id, role_id), 
	CONSTRAINT fk_user_roles_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT fk_user_roles_role_id_roles FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE CASCADE
);
INSERT INTO "user_roles" VALUES('23cce616-bcbc-43e7-94c6-4ce2c9623b82','6034d64d-8e2d-4beb-b529-2d4ea5459904');
CREATE TABLE users (
	id VARCHAR(36) NOT NULL, 
	username VARCHAR(255) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	password_sealed BLOB, 
	active BOOLEAN NOT NULL, 
	failed_attempts INTEGER NOT NULL, 
	locked_until DATETIME, 
	created_at DATETIME NOT NULL, 
	modified_at DATETIME, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT uq_users_username UNIQUE (username)
);
INSERT INTO "users" VALUES('23cce616-bcbc-43e7-94c6-4ce2c9623b82','alice','$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$ZmFrZWhhc2hmb3J0ZXN0cw',NULL,1,0,NULL,'2026-11-26 17:16:16.255773',NULL);
CREATE INDEX ix_nonces_expires_at ON nonces (expires_at);
CREATE INDEX ix_issued_tokens_expires_at ON issued_tokens (expires_at);
CREATE INDEX ix_audit_log_at ON audit_log (at);
CREATE INDEX ix_user_roles_role_id ON user_roles (role_id);
COMMIT;
