-- A recorded database for tests/t_text_output.sh: two snapshots of the fixture of
-- tests/unit/db_test.c, made by 'tests/unit/db_test --write FILE' and 'sqlite3 FILE .dump'.
PRAGMA application_id = 1984263245;
PRAGMA user_version = 3;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE scan (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    host         TEXT    NOT NULL,
    started      TEXT    NOT NULL,        -- ISO-8601 UTC
    duration_ms  REAL    NOT NULL,
    n_netns      INTEGER NOT NULL,
    n_ifaces     INTEGER NOT NULL,
    n_edges      INTEGER NOT NULL,
    n_unresolved INTEGER NOT NULL,
    version      TEXT    NOT NULL,        -- vethmap version that wrote it
    -- since version 2: a scan that could not hold everything it saw is stored, marked
    incomplete   INTEGER NOT NULL DEFAULT 0,  -- 1: not the whole host (see reason)
    missed       INTEGER NOT NULL DEFAULT 0,  -- namespaces seen but not held
    incomplete_reason TEXT,               -- 'out of file descriptors', 'lookup deadline', ...
    names_dropped INTEGER NOT NULL DEFAULT 0, -- names beyond the bounds (64 per netns, 4096)
    mount_lines_dropped INTEGER NOT NULL DEFAULT 0, -- mountinfo lines beyond 10000 per mntns
    mounts_skipped INTEGER NOT NULL DEFAULT 0, -- nsfs mounts below FUSE/NFS/...: not looked up
    lookup_timeouts INTEGER NOT NULL DEFAULT 0 -- mount namespaces whose lookups were abandoned
);
INSERT INTO scan VALUES(1,'node-1','2026-12-01T21:00:00.123Z',12.5,3,10,5,1,'0.1.0',0,0,NULL,0,0,0,0);
INSERT INTO scan VALUES(2,'node-1','2026-12-01T21:05:00.456Z',12.5,3,11,5,1,'0.1.0',0,0,NULL,0,0,0,0);
CREATE TABLE netns (
    scan_id  INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
    inode    INTEGER NOT NULL,
    dev      INTEGER NOT NULL,
    is_host  INTEGER NOT NULL,            -- 1 for the host's namespace
    via      TEXT    NOT NULL,            -- how found: proc,task,fd,mount,self
    dump_error INTEGER NOT NULL DEFAULT 0, -- errno of its failed link dump, 0 = none (v2)
    names_dropped INTEGER NOT NULL DEFAULT 0, -- its names not kept (v2)
    PRIMARY KEY (scan_id, inode)
) WITHOUT ROWID;
INSERT INTO netns VALUES(1,4026532000,4,1,'proc,self',0,0);
INSERT INTO netns VALUES(1,4026532001,4,0,'proc,fd,mount',0,0);
INSERT INTO netns VALUES(1,4026532002,4,0,'proc,fd,mount',0,0);
INSERT INTO netns VALUES(2,4026532000,4,1,'proc,self',0,0);
INSERT INTO netns VALUES(2,4026532001,4,0,'proc,fd,mount',0,0);
INSERT INTO netns VALUES(2,4026532002,4,0,'proc,fd,mount',0,0);
CREATE TABLE netns_name (                 -- display names: host paths (/run/netns/x), and
                                          -- 'pid P:PATH' for a mount seen only in P's mount
                                          -- namespace (never an identity)
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
INSERT INTO netns_name VALUES(1,4026532001,'/run/docker/netns/0a1b');
INSERT INTO netns_name VALUES(1,4026532001,'/run/netns/web "<&$>');
INSERT INTO netns_name VALUES(2,4026532001,'/run/docker/netns/0a1b');
INSERT INTO netns_name VALUES(2,4026532001,'/run/netns/web "<&$>');
CREATE TABLE netns_mount (                -- where each name comes from (v2)
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    path     TEXT    NOT NULL,            -- mountpoint inside that mount namespace
    mntns    INTEGER NOT NULL,            -- inode of the mount namespace
    pid      INTEGER NOT NULL,            -- a process of it (0 for the host's)
    host     INTEGER NOT NULL,            -- 1: the host's mount namespace
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
CREATE TABLE netns_pid (                  -- processes and threads in the namespace
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    pid      INTEGER NOT NULL,
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
INSERT INTO netns_pid VALUES(1,4026532001,4242);
INSERT INTO netns_pid VALUES(1,4026532001,4243);
INSERT INTO netns_pid VALUES(1,4026532002,77);
INSERT INTO netns_pid VALUES(2,4026532001,4242);
INSERT INTO netns_pid VALUES(2,4026532001,4243);
INSERT INTO netns_pid VALUES(2,4026532002,77);
CREATE TABLE iface (
    scan_id      INTEGER NOT NULL,
    netns        INTEGER NOT NULL,        -- inode of its namespace
    ifindex      INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,        -- veth, bridge, macvlan, tap, device, ...
    slave_kind   TEXT,                    -- 'bridge' for a bridge port, ...
    mac          TEXT,
    mtu          INTEGER NOT NULL,
    up           INTEGER NOT NULL,        -- IFF_UP
    flags        INTEGER NOT NULL,        -- all IFF_* flags
    oper         TEXT    NOT NULL,        -- operstate
    promiscuity  INTEGER NOT NULL,        -- kernel promiscuity count
    master       INTEGER,                 -- ifindex of the master in the same namespace
    hairpin      INTEGER NOT NULL DEFAULT 0, -- bridge port in hairpin mode
    link         INTEGER,                 -- IFLA_LINK: peer/parent ifindex
    link_netnsid INTEGER,                 -- IFLA_LINK_NETNSID, in this namespace's table
    peer_netns   INTEGER,                 -- resolved veth peer
    peer_ifindex INTEGER,
    PRIMARY KEY (scan_id, netns, ifindex),
    FOREIGN KEY (scan_id, netns) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO iface VALUES(1,4026532000,1,'lo','loopback',NULL,NULL,1500,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(1,4026532000,2,'eth0','device',NULL,'52:54:00:12:34:56',1500,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(1,4026532000,3,'br0','bridge',NULL,NULL,1500,1,4099,'up',1,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(1,4026532000,11,'veth"<&$','veth','bridge',NULL,1500,1,4099,'up',0,3,1,2,0,4026532001,2);
INSERT INTO iface VALUES(1,4026532000,12,'vethb','veth','bridge',NULL,1500,0,4098,'lowerlayerdown',0,3,0,2,1,4026532002,2);
INSERT INTO iface VALUES(1,4026532000,13,'mv0','macvlan',NULL,NULL,1500,1,4099,'up',0,NULL,0,2,NULL,NULL,NULL);
INSERT INTO iface VALUES(1,4026532000,14,'dangling','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,99,7,NULL,NULL);
INSERT INTO iface VALUES(1,4026532001,1,'lo','loopback',NULL,NULL,1500,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(1,4026532001,2,'eth0','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,11,0,4026532000,11);
INSERT INTO iface VALUES(1,4026532002,2,'eth0','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,12,0,4026532000,12);
INSERT INTO iface VALUES(2,4026532000,1,'lo','loopback',NULL,NULL,1500,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(2,4026532000,2,'eth0','device',NULL,'52:54:00:12:34:56',9000,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(2,4026532000,3,'br0','bridge',NULL,NULL,1500,1,4099,'up',1,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(2,4026532000,11,'veth"<&$','veth','bridge',NULL,1500,1,4099,'up',0,3,1,2,0,4026532001,2);
INSERT INTO iface VALUES(2,4026532000,12,'vethb','veth','bridge',NULL,1500,0,4098,'lowerlayerdown',0,3,0,2,1,4026532002,2);
INSERT INTO iface VALUES(2,4026532000,13,'mv0','macvlan',NULL,NULL,1500,1,4099,'up',0,NULL,0,2,NULL,NULL,NULL);
INSERT INTO iface VALUES(2,4026532000,14,'dangling','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,99,7,NULL,NULL);
INSERT INTO iface VALUES(2,4026532001,1,'lo','loopback',NULL,NULL,1500,1,4099,'up',0,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO iface VALUES(2,4026532001,2,'eth0','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,11,0,4026532000,11);
INSERT INTO iface VALUES(2,4026532002,2,'eth0','veth',NULL,NULL,1500,1,4099,'up',0,NULL,0,12,0,4026532000,12);
INSERT INTO iface VALUES(2,4026532002,5,'new[0m','tun',NULL,NULL,1500,0,0,'down',0,NULL,0,NULL,NULL,NULL,NULL);
CREATE TABLE addr (
    scan_id   INTEGER NOT NULL,
    netns     INTEGER NOT NULL,
    ifindex   INTEGER NOT NULL,
    family    INTEGER NOT NULL,           -- 4 or 6
    address   TEXT    NOT NULL,           -- '10.1.0.1/24'
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE
);
INSERT INTO addr VALUES(1,4026532000,2,4,'192.0.2.10/24');
INSERT INTO addr VALUES(1,4026532000,2,6,'2001:db8::10/64');
INSERT INTO addr VALUES(1,4026532001,2,4,'172.17.0.2/16');
INSERT INTO addr VALUES(2,4026532000,2,4,'192.0.2.10/24');
INSERT INTO addr VALUES(2,4026532000,2,6,'2001:db8::10/64');
INSERT INTO addr VALUES(2,4026532001,2,4,'172.17.0.2/16');
CREATE TABLE edge (
    scan_id    INTEGER NOT NULL,
    id         INTEGER NOT NULL,          -- per scan, as printed by 'vethmap show'
    type       TEXT    NOT NULL,          -- veth, bridge, master, lower
    a_netns    INTEGER NOT NULL,          -- port / upper device / one veth end
    a_ifindex  INTEGER NOT NULL,
    b_netns    INTEGER NOT NULL,          -- bridge / master / parent / other veth end
    b_ifindex  INTEGER NOT NULL,
    PRIMARY KEY (scan_id, id),
    FOREIGN KEY (scan_id, a_netns, a_ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE,
    FOREIGN KEY (scan_id, b_netns, b_ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO edge VALUES(1,1,'veth',4026532000,11,4026532001,2);
INSERT INTO edge VALUES(1,2,'veth',4026532000,12,4026532002,2);
INSERT INTO edge VALUES(1,3,'bridge',4026532000,11,4026532000,3);
INSERT INTO edge VALUES(1,4,'bridge',4026532000,12,4026532000,3);
INSERT INTO edge VALUES(1,5,'lower',4026532000,13,4026532000,2);
INSERT INTO edge VALUES(2,1,'veth',4026532000,11,4026532001,2);
INSERT INTO edge VALUES(2,2,'veth',4026532000,12,4026532002,2);
INSERT INTO edge VALUES(2,3,'bridge',4026532000,11,4026532000,3);
INSERT INTO edge VALUES(2,4,'bridge',4026532000,12,4026532000,3);
INSERT INTO edge VALUES(2,5,'lower',4026532000,13,4026532000,2);
CREATE TABLE unresolved (
    scan_id  INTEGER NOT NULL,
    netns    INTEGER NOT NULL,
    ifindex  INTEGER NOT NULL,
    reason   TEXT    NOT NULL,
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE
);
INSERT INTO unresolved VALUES(1,4026532000,14,'peer ifindex 99 in nsid 7: no such veth in any discovered namespace');
INSERT INTO unresolved VALUES(2,4026532000,14,'peer ifindex 99 in nsid 7: no such veth in any discovered namespace');
CREATE TABLE container (                  -- containers found in the namespace
    scan_id         INTEGER NOT NULL,
    netns           INTEGER NOT NULL,
    engine          TEXT    NOT NULL,     -- docker, podman, containerd, cri-o, lxc, nspawn
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    pid             INTEGER NOT NULL,     -- main process
    image           TEXT,
    pod             TEXT,                 -- Kubernetes (or podman) pod
    pod_namespace   TEXT,
    compose_project TEXT,
    network_mode    TEXT,
    containerd_namespace TEXT,
    sandbox         INTEGER NOT NULL,     -- pod sandbox, or the owner of a shared netns
    host_network    INTEGER NOT NULL,
    verified        INTEGER NOT NULL DEFAULT 0, -- 1: named by its engine, or by a root-owned
                                          -- cgroup where its engine puts containers (v3)
    PRIMARY KEY (scan_id, engine, id),
    FOREIGN KEY (scan_id, netns) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO container VALUES(1,4026532002,'containerd','f00d','redis',77,NULL,'redis-0','default',NULL,NULL,'k8s.io',0,0,1);
INSERT INTO container VALUES(1,4026532001,'docker','0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9','web "<&$>',4242,'busybox:latest',NULL,NULL,'shop','bridge',NULL,1,0,1);
INSERT INTO container VALUES(2,4026532002,'containerd','f00d','redis',77,NULL,'redis-0','default',NULL,NULL,'k8s.io',0,0,1);
CREATE TABLE capture (                    -- audit trail: every 'vethmap cap'
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id     INTEGER,                  -- the stored scan edge ids referred to
    started     TEXT    NOT NULL,         -- ISO-8601 UTC
    duration_ms REAL    NOT NULL,
    target      TEXT    NOT NULL,         -- as given on the command line
    interfaces  TEXT    NOT NULL,         -- NETNS:IFNAME ..., space separated
    packets     INTEGER NOT NULL,
    file        TEXT,                     -- -w FILE, '-' for stdout, NULL for text
    uid         INTEGER NOT NULL,         -- who ran it: the real uid, read at the start
    sudo_uid    INTEGER,                  -- SUDO_UID when that real uid is 0, else NULL
    run_uid     INTEGER,                  -- the uid the packets were read as (after -Z)
    state       TEXT    NOT NULL DEFAULT 'done'
                -- written when the capture starts, as 'running'; at its end 'done' (a bound
                -- or a signal ended it), 'failed' (the output or the capture failed) or
                -- 'killed' (the capturing process died); 'running' stays when vethmap itself
                -- was killed.  Added to older databases by 'vethmap cap' (ALTER TABLE).
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('scan',2);
CREATE INDEX netns_name_by_name ON netns_name(name);
CREATE INDEX netns_mount_by_ns ON netns_mount(scan_id, inode);
CREATE INDEX netns_pid_by_ns ON netns_pid(scan_id, inode);
CREATE INDEX iface_by_name ON iface(scan_id, name);
CREATE INDEX addr_by_iface ON addr(scan_id, netns, ifindex);
CREATE INDEX container_by_name ON container(name);
CREATE VIEW veth_peer AS
    SELECT e.scan_id, a.netns, a.name AS ifname, b.netns AS peer_netns, b.name AS peer_ifname
      FROM edge e
      JOIN iface a ON a.scan_id = e.scan_id AND a.netns = e.a_netns AND a.ifindex = e.a_ifindex
      JOIN iface b ON b.scan_id = e.scan_id AND b.netns = e.b_netns AND b.ifindex = e.b_ifindex
     WHERE e.type = 'veth'
    UNION ALL
    SELECT e.scan_id, b.netns, b.name, a.netns, a.name
      FROM edge e
      JOIN iface a ON a.scan_id = e.scan_id AND a.netns = e.a_netns AND a.ifindex = e.a_ifindex
      JOIN iface b ON b.scan_id = e.scan_id AND b.netns = e.b_netns AND b.ifindex = e.b_ifindex
     WHERE e.type = 'veth';
CREATE VIEW port AS
    SELECT e.scan_id, e.type, b.netns, b.name AS bridge, a.name AS port, a.ifindex AS port_ifindex
      FROM edge e
      JOIN iface a ON a.scan_id = e.scan_id AND a.netns = e.a_netns AND a.ifindex = e.a_ifindex
      JOIN iface b ON b.scan_id = e.scan_id AND b.netns = e.b_netns AND b.ifindex = e.b_ifindex
     WHERE e.type IN ('bridge', 'master');
COMMIT;
