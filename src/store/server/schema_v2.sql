-- opsdesk desk schema for PostgreSQL, version 2: who may change the desk's operators and its
-- settings is the desk's to say, not the database's. Every operator's database role may
-- write tickets (opsdesk keeps the rules), but the operators table and the desk's settings
-- only change for a desk admin, whichever program connects: an operator can register
-- themselves as an agent and set their own mail address, and nothing more.

-- Whether the role that connected may manage the desk: a desk admin, the desk's owner (who
-- made it and migrates it), the server's superuser, or anyone on a desk that has no operator
-- yet (its creator).
CREATE FUNCTION opsdesk_may_manage() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM operators
                   WHERE name = session_user::text::citext AND 'admin' = ANY (string_to_array(roles, ',')))
        OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'operators'::regclass), 'MEMBER')
        OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
        OR NOT EXISTS (SELECT 1 FROM operators)
$$;

CREATE FUNCTION opsdesk_guard_operators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF opsdesk_may_manage() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.name = session_user::text::citext AND NEW.roles = 'agent' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.name = session_user::text::citext AND NEW.name = OLD.name
       AND NEW.roles = OLD.roles AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'only a desk admin may change the desk''s operators (% is not one)', session_user
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER operators_guard BEFORE INSERT OR UPDATE OR DELETE ON operators FOR EACH ROW
    EXECUTE FUNCTION opsdesk_guard_operators();
CREATE TRIGGER operators_guard_truncate BEFORE TRUNCATE ON operators FOR EACH STATEMENT
    EXECUTE FUNCTION opsdesk_refuse('the desk''s operators cannot be removed');

-- The desk's settings; the one any operator writes is the SLA rules' fingerprint, which
-- opsdesk refreshes when the rules it runs differ from those the tickets were timed by.
CREATE FUNCTION opsdesk_guard_meta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF opsdesk_may_manage() OR (TG_OP <> 'DELETE' AND NEW.key = 'sla_policy'
                                AND (TG_OP = 'INSERT' OR OLD.key = NEW.key)) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'only a desk admin may change the desk''s settings (% is not one)', session_user
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER meta_guard BEFORE INSERT OR UPDATE OR DELETE ON meta FOR EACH ROW
    EXECUTE FUNCTION opsdesk_guard_meta();
CREATE TRIGGER meta_guard_truncate BEFORE TRUNCATE ON meta FOR EACH STATEMENT
    EXECUTE FUNCTION opsdesk_refuse('the desk''s settings cannot be removed');
