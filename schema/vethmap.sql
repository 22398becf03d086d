-- vethmap database schema, version 11 (db.c upgrades older files when a writer opens them).
--
-- Applied by vethmap when it opens a database that has no tables yet.  Every table is keyed
-- by scan_id: one scan is one snapshot, written in one transaction.  A namespace is named by
-- the inode of its nsfs file, an interface by (namespace inode, ifindex).
-- Compiled into the binary from this file: edit here, never in C.  A new file is made with
-- auto_vacuum = INCREMENTAL (set by db.c before this runs: it must precede the first table),
-- so 'vethmap prune' gives the space of deleted snapshots back to the filesystem.

PRAGMA application_id = 1984263245;  -- 'vEtM': marks the file as a vethmap database
PRAGMA user_version = 12;             -- schema version, for migrations (db.c)

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
    lookup_timeouts INTEGER NOT NULL DEFAULT 0, -- mount namespaces whose lookups were abandoned
    -- since version 9: a snapshot equal to the one before it (every row of every table
    -- below, column by column, but the processes of netns_pid) has no rows of its own:
    -- same_as is the snapshot holding them (never itself such a reference); NULL for a
    -- snapshot with its own rows
    same_as      INTEGER,
    own_pids     INTEGER NOT NULL DEFAULT 0, -- 1: such a snapshot's processes differ from
                                          -- those of same_as: they are in scan_pid
    machine_id   TEXT                     -- the host's /etc/machine-id, NULL none (v11)
);

CREATE TABLE scan_pid (                   -- the processes of an unchanged snapshot whose
                                          -- processes changed (own_pids), as netns_pid (v9)
    scan_id  INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
    inode    INTEGER NOT NULL,            -- a namespace of its same_as
    pid      INTEGER NOT NULL
);
CREATE INDEX scan_pid_by_scan ON scan_pid(scan_id);

CREATE TABLE snapshot_image (             -- the latest snapshot with rows of its own, as
                                          -- db_store() wrote them: every value of every row
                                          -- in order, what the next snapshot is compared
                                          -- with, byte for byte (v10); one row at most
    rows_of  INTEGER PRIMARY KEY REFERENCES scan(id) ON DELETE CASCADE,
    rows     BLOB    NOT NULL,            -- all but the processes
    pids     BLOB    NOT NULL             -- netns_pid's
);

CREATE TABLE event (                      -- one change line of 'vethmap watch' (v12), written
                                          -- in the transaction of its batch's snapshot
    id       INTEGER PRIMARY KEY AUTOINCREMENT,  -- the sequence: never reused
    time     TEXT    NOT NULL,            -- ISO-8601 UTC: the batch's scan ('started')
    batch    INTEGER NOT NULL,            -- the snapshot stored with it (thinning may have
                                          -- deleted it since: no reference)
    op       TEXT    NOT NULL,            -- add, del, change
    type     TEXT    NOT NULL,            -- netns, interface, edge, container
    netns    INTEGER,                     -- a namespace's inode, an interface's or container's
    name     TEXT,                        -- an interface's, a container's
    ifindex  INTEGER,
    a        TEXT,                        -- an edge's ends, as the JSON line has them
    b        TEXT,
    engine   TEXT,                        -- a container's
    object   TEXT    NOT NULL,            -- as 'vethmap diff' names it
    detail   TEXT,
    field    TEXT,                        -- for a change: which, and its values
    before   TEXT,
    after    TEXT,
    line     TEXT    NOT NULL,            -- the line exactly as watch printed it
    json     TEXT    NOT NULL,            -- and as watch --json did
    state    TEXT                         -- the object after it as scan --json has it (a
                                          -- container: its namespace), NULL when gone:
                                          -- what replay re-creates it from (history.c)
);
CREATE INDEX event_by_time ON event(time);
CREATE INDEX event_by_batch ON event(batch);  -- which snapshots are watch's batches

CREATE TABLE netns (
    scan_id  INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
    inode    INTEGER NOT NULL,
    dev      INTEGER NOT NULL,
    is_host  INTEGER NOT NULL,            -- 1 for the host's namespace
    via      TEXT    NOT NULL,            -- how found: proc,task,fd,mount,self
    dump_error INTEGER NOT NULL DEFAULT 0, -- errno of its failed link dump, 0 = none (v2)
    names_dropped INTEGER NOT NULL DEFAULT 0, -- its names not kept (v2)
    forward4 INTEGER,                     -- forwards IPv4 ("all"): 1/0, NULL unknown (v4)
    forward6 INTEGER,                     -- forwards IPv6 (v4)
    -- since version 5: whose it is
    userns   INTEGER,                     -- inode of its owning user namespace
    owner_uid INTEGER,                    -- uid that made that user namespace; NULL for
                                          -- the initial user namespace (or unknown)
    owner    TEXT,                        -- that uid's user name, if it has one
    PRIMARY KEY (scan_id, inode)
) WITHOUT ROWID;

CREATE TABLE netns_name (                 -- display names: host paths (/run/netns/x), and
                                          -- 'pid P:PATH' for a mount seen only in P's mount
                                          -- namespace (never an identity)
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
CREATE INDEX netns_name_by_name ON netns_name(name);

CREATE TABLE netns_mount (                -- where each name comes from (v2)
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    path     TEXT    NOT NULL,            -- mountpoint inside that mount namespace
    mntns    INTEGER NOT NULL,            -- inode of the mount namespace
    pid      INTEGER NOT NULL,            -- a process of it (0 for the host's)
    host     INTEGER NOT NULL,            -- 1: the host's mount namespace
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
CREATE INDEX netns_mount_by_ns ON netns_mount(scan_id, inode);

CREATE TABLE netns_pid (                  -- processes and threads in the namespace
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    pid      INTEGER NOT NULL,
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
CREATE INDEX netns_pid_by_ns ON netns_pid(scan_id, inode);

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
CREATE INDEX iface_by_name ON iface(scan_id, name);

CREATE TABLE route (                      -- main table routes, a row per next hop (v4)
    scan_id  INTEGER NOT NULL,
    inode    INTEGER NOT NULL,            -- its namespace
    route    INTEGER NOT NULL,            -- the route's number in the snapshot
    nh       INTEGER NOT NULL,            -- next hop 0, 1, ... (0 only, for none)
    family   INTEGER NOT NULL,            -- 4 or 6
    dst      TEXT    NOT NULL,            -- 'default' or '10.1.0.0/24'
    type     TEXT    NOT NULL,            -- unicast, blackhole, unreachable, prohibit, ...
    metric   INTEGER NOT NULL,
    gateway  TEXT,                        -- NULL: directly connected
    ifindex  INTEGER,                     -- output device in the same namespace
    FOREIGN KEY (scan_id, inode) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
);
CREATE INDEX route_by_ns ON route(scan_id, inode);

CREATE TABLE addr (
    scan_id   INTEGER NOT NULL,
    netns     INTEGER NOT NULL,
    ifindex   INTEGER NOT NULL,
    family    INTEGER NOT NULL,           -- 4 or 6
    address   TEXT    NOT NULL,           -- '10.1.0.1/24'
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE
);
CREATE INDEX addr_by_iface ON addr(scan_id, netns, ifindex);

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

CREATE TABLE unresolved (
    scan_id  INTEGER NOT NULL,
    netns    INTEGER NOT NULL,
    ifindex  INTEGER NOT NULL,
    reason   TEXT    NOT NULL,
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES iface(scan_id, netns, ifindex)
        ON DELETE CASCADE
);

CREATE TABLE container (                  -- containers found in the namespace
    scan_id         INTEGER NOT NULL,
    netns           INTEGER NOT NULL,
    engine          TEXT    NOT NULL,     -- docker, podman, containerd, cri-o, lxc, nspawn
    id              TEXT    NOT NULL,
    node            TEXT    NOT NULL DEFAULT '', -- a nested engine's: the container it runs
                                          -- in ("engine:name") or "pid:N"; '' = none (v7)
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
    owner_uid       INTEGER,              -- a user's engine named it (rootless Podman): that
    owner           TEXT,                 -- user's uid and name; NULL for the system's (v6)
    PRIMARY KEY (scan_id, engine, node, id), -- (node before name: SQLite 3.40's integrity_check
                                          -- misreads a key column after other columns) (v7)
    FOREIGN KEY (scan_id, netns) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX container_by_name ON container(name);

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

CREATE TABLE tap_holder (                 -- processes holding a tun/tap file (v5): the
                                          -- other end of that device
    scan_id  INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
    netns    INTEGER,                     -- the device's namespace; NULL: not placed
    ifindex  INTEGER,                     -- in it; NULL: not placed
    ifname   TEXT    NOT NULL,            -- the device's name, as TUNGETIFF says
    tap      INTEGER NOT NULL,            -- 1 tap, 0 tun
    pid      INTEGER NOT NULL,            -- the holder
    comm     TEXT    NOT NULL,            -- its comm (set by the process itself)
    holder_netns INTEGER,                 -- the holder's own namespace
    reason   TEXT                         -- why it is not placed; NULL when placed
);
CREATE INDEX tap_holder_by_scan ON tap_holder(scan_id);

CREATE TABLE tunnel (                     -- a tunnel device's endpoints (v8), as the kernel
                                          -- states them: what pairs it with its other end
    scan_id  INTEGER NOT NULL,
    netns    INTEGER NOT NULL,
    ifindex  INTEGER NOT NULL,            -- the device (iface)
    id       INTEGER,                     -- VNI (vxlan, geneve), GRE input key; NULL none
    okey     INTEGER,                     -- GRE output key
    local    TEXT,                        -- its own address
    remote   TEXT,                        -- the other end's (vxlan: its group or peer)
    port     INTEGER,                     -- UDP destination port (vxlan, geneve); wireguard:
                                          -- its listen port
    PRIMARY KEY (scan_id, netns, ifindex),
    FOREIGN KEY (scan_id, netns) REFERENCES netns(scan_id, inode) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE tunnel_fdb (                 -- a vxlan's remote VTEPs in its bridge FDB (v8)
    scan_id  INTEGER NOT NULL,
    netns    INTEGER NOT NULL,
    ifindex  INTEGER NOT NULL,
    remote   TEXT    NOT NULL,
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES tunnel(scan_id, netns, ifindex)
        ON DELETE CASCADE
);
CREATE INDEX tunnel_fdb_by_dev ON tunnel_fdb(scan_id, netns, ifindex);
-- wireguard (v11): the device's public key (added at the end of tunnel), and its peers
ALTER TABLE tunnel ADD COLUMN public_key TEXT;
CREATE TABLE tunnel_peer (
    scan_id    INTEGER NOT NULL,
    netns      INTEGER NOT NULL,
    ifindex    INTEGER NOT NULL,
    public_key TEXT    NOT NULL,          -- base64, as wg(8) shows it
    endpoint   TEXT,                      -- ADDR:PORT or [ADDR]:PORT, NULL when none
    FOREIGN KEY (scan_id, netns, ifindex) REFERENCES tunnel(scan_id, netns, ifindex)
        ON DELETE CASCADE
);
CREATE INDEX tunnel_peer_by_dev ON tunnel_peer(scan_id, netns, ifindex);

-- Clusters (v11, 'vethmap merge'): a collection is the snapshots of several hosts taken
-- together, each an ordinary snapshot of the scan table (its host and machine_id say whose);
-- xedge joins two hosts' tunnel devices, xunresolved says why a tunnel end found no partner.
-- These name snapshots in "snapshot", not scan_id: they are no snapshot's own rows.
CREATE TABLE collection (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    started  TEXT    NOT NULL,            -- ISO-8601 UTC, when merged
    n_hosts  INTEGER NOT NULL,
    version  TEXT    NOT NULL             -- vethmap version that merged it
);
CREATE TABLE collection_host (
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    host_no  INTEGER NOT NULL,            -- 0, 1, ... in the order given to merge
    snapshot INTEGER NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
    source   TEXT,                        -- the file it came from
    PRIMARY KEY (collection_id, host_no)
);
CREATE INDEX collection_host_by_snapshot ON collection_host(snapshot);
CREATE TABLE xedge (
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,          -- vxlan, geneve, gre, ipip, ...
    a_snapshot INTEGER NOT NULL,          -- one end: its host's snapshot, netns, ifindex
    a_netns    INTEGER NOT NULL,
    a_ifindex  INTEGER NOT NULL,
    b_snapshot INTEGER NOT NULL,          -- the other end
    b_netns    INTEGER NOT NULL,
    b_ifindex  INTEGER NOT NULL,
    PRIMARY KEY (collection_id, id)
);
CREATE TABLE xunresolved (
    collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
    snapshot INTEGER NOT NULL,
    netns    INTEGER NOT NULL,
    ifindex  INTEGER NOT NULL,
    reason   TEXT    NOT NULL
);
CREATE INDEX xunresolved_by_collection ON xunresolved(collection_id);

-- Both directions of every veth pair, by name: "who is at the other end of X".
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

-- Bridge (and other master) membership by name: "what hangs off bridge Y".
CREATE VIEW port AS
    SELECT e.scan_id, e.type, b.netns, b.name AS bridge, a.name AS port, a.ifindex AS port_ifindex
      FROM edge e
      JOIN iface a ON a.scan_id = e.scan_id AND a.netns = e.a_netns AND a.ifindex = e.a_ifindex
      JOIN iface b ON b.scan_id = e.scan_id AND b.netns = e.b_netns AND b.ifindex = e.b_ifindex
     WHERE e.type IN ('bridge', 'master');
