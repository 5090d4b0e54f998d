//! Where the components are: the names every party uses for them, the ports, and where each component reads
//! its files. A backend (native or containers) builds one; rendering reads it and never guesses.

/// The hostnames of the stack. The browser, Dashboards and OpenSearch must all use the same names: the IdP derives
/// its issuer from the Host header, and Dashboards' `base_redirect_url` must be the origin the browser is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hostnames {
    pub opensearch: String,
    pub idp: String,
    pub dashboards: String,
}

impl Default for Hostnames {
    /// Names under `.test` (RFC 6761): never resolvable on the internet, so nothing leaves the machine by mistake.
    fn default() -> Self {
        Hostnames {
            opensearch: "opensearch.sso.test".into(),
            idp: "idp.sso.test".into(),
            dashboards: "dashboards.sso.test".into(),
        }
    }
}

/// Where the official images read their configuration (the local images keep the same layout).
pub const OPENSEARCH_CONFIG: &str = "/usr/share/opensearch/config";
pub const DASHBOARDS_CONFIG: &str = "/usr/share/opensearch-dashboards/config";
pub const CADDY_CONFIG: &str = "/etc/caddy";
pub const AUTHENTIK_BLUEPRINTS: &str = "/blueprints/sso-harness";

/// A path as one component reads it (relative to its config folder, or absolute inside a container).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentPaths {
    /// The run CA certificate.
    pub ca_file: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub hosts: Hostnames,
    /// The port of Caddy's HTTPS sites (the IdP and Dashboards), as the browser and the servers reach them.
    pub https_port: u16,
    /// The address Caddy binds (`None`: every interface, as in a container).
    pub caddy_bind: Option<String>,
    /// Where Caddy forwards the IdP site and the Dashboards site (`host:port`).
    pub idp_upstream: String,
    pub dashboards_upstream: String,
    /// Where Caddy forwards the IdP site for a Keycloak case (`None`: the backend runs no Keycloak).
    pub keycloak_upstream: Option<String>,
    /// OpenSearch's address to bind, and its HTTP and transport ports.
    pub opensearch_bind: String,
    pub opensearch_http_port: u16,
    pub opensearch_transport_port: u16,
    /// The address and port Dashboards (or its stand-in) listens on.
    pub dashboards_bind: String,
    pub dashboards_port: u16,
    /// The folder Caddy finds its site certificates in.
    pub caddy_cert_dir: String,
    pub opensearch_paths: ComponentPaths,
    pub dashboards_paths: ComponentPaths,
    pub idp_paths: ComponentPaths,
}

impl Topology {
    /// Everything on loopback (the native backend), with the given ports.
    pub fn native(ports: Ports) -> Self {
        Topology {
            hosts: Hostnames::default(),
            https_port: ports.https,
            caddy_bind: Some("127.0.0.1".into()),
            idp_upstream: format!("127.0.0.1:{}", ports.idp),
            dashboards_upstream: format!("127.0.0.1:{}", ports.dashboards),
            keycloak_upstream: Some(format!("127.0.0.1:{}", ports.keycloak)),
            opensearch_bind: "127.0.0.1".into(),
            opensearch_http_port: ports.opensearch_http,
            opensearch_transport_port: ports.opensearch_transport,
            dashboards_bind: "127.0.0.1".into(),
            dashboards_port: ports.dashboards,
            caddy_cert_dir: "certs".into(),
            opensearch_paths: ComponentPaths {
                ca_file: "certs/ca.pem".into(),
            },
            dashboards_paths: ComponentPaths {
                ca_file: "certs/ca.pem".into(),
            },
            idp_paths: ComponentPaths {
                ca_file: "certs/ca.pem".into(),
            },
        }
    }

    /// Every component in its own container on one network (the containers backend and the compose bundles).
    /// The IdP and Dashboards are reached through Caddy on 443 by their names; `idp_host`, `dashboards_host` and
    /// `keycloak_host` are the containers' names on the network, where Caddy forwards to (Keycloak's plain HTTP
    /// port, for a Keycloak case). Paths are where the images read them.
    pub fn containers(idp_host: &str, dashboards_host: &str, keycloak_host: &str) -> Self {
        Topology {
            hosts: Hostnames::default(),
            https_port: 443,
            caddy_bind: None,
            idp_upstream: format!("{idp_host}:9000"),
            dashboards_upstream: format!("{dashboards_host}:5601"),
            keycloak_upstream: Some(format!("{keycloak_host}:8080")),
            opensearch_bind: "0.0.0.0".into(),
            opensearch_http_port: 9200,
            opensearch_transport_port: 9300,
            dashboards_bind: "0.0.0.0".into(),
            dashboards_port: 5601,
            caddy_cert_dir: format!("{CADDY_CONFIG}/certs"),
            opensearch_paths: ComponentPaths {
                ca_file: "certs/ca.pem".into(),
            },
            dashboards_paths: ComponentPaths {
                ca_file: format!("{DASHBOARDS_CONFIG}/certs/ca.pem"),
            },
            idp_paths: ComponentPaths {
                ca_file: "/certs/ca.pem".into(),
            },
        }
    }

    fn https_origin(&self, host: &str) -> String {
        if self.https_port == 443 {
            format!("https://{host}")
        } else {
            format!("https://{host}:{}", self.https_port)
        }
    }

    /// The IdP's public origin (no trailing slash).
    pub fn idp_url(&self) -> String {
        self.https_origin(&self.hosts.idp)
    }

    /// Dashboards' public origin (no trailing slash).
    pub fn dashboards_url(&self) -> String {
        self.https_origin(&self.hosts.dashboards)
    }

    /// OpenSearch's REST origin, as Dashboards and the harness reach it.
    pub fn opensearch_url(&self) -> String {
        format!(
            "https://{}:{}",
            self.hosts.opensearch, self.opensearch_http_port
        )
    }
}

/// The ports of a native run (chosen free by the backend; fixed for rendering previews and snapshots).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub https: u16,
    pub idp: u16,
    pub dashboards: u16,
    pub opensearch_http: u16,
    pub opensearch_transport: u16,
    /// Keycloak's HTTP port (plain HTTP on loopback, behind Caddy), used only by a run with a Keycloak case.
    pub keycloak: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            https: 8443,
            idp: 9000,
            dashboards: 5601,
            opensearch_http: 9200,
            opensearch_transport: 9300,
            keycloak: 8080,
        }
    }
}
