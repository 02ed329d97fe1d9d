//! A real Dovecot IMAP server on loopback for the mail tests (Debian package `dovecot-imapd`):
//! its own configuration, sockets, state and maildir in a temporary folder, so tests can run
//! several at once; plain text (no TLS), one user from a passwd file.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const USER: &str = "desk";
pub const PASSWORD: &str = "desk-password-1";

pub struct Dovecot {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
}

fn binary() -> PathBuf {
    // /usr/sbin is not on every user's PATH.
    let sbin = Path::new("/usr/sbin/dovecot");
    if sbin.exists() {
        sbin.to_path_buf()
    } else {
        PathBuf::from("dovecot")
    }
}

/// The configuration. Dovecot refuses to run its login process as root, and mail processes with
/// uid 0: as root, both run as `nobody` (the maildir folder is writable by all); otherwise all of
/// Dovecot runs as the current user.
fn config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    let meta = std::fs::metadata(dir.join("passwd")).expect("passwd file");
    let (login_user, internal_user, userdb) = if meta.uid() == 0 {
        (
            "nobody".to_string(),
            "root".to_string(),
            "uid=nobody gid=nogroup".to_string(),
        )
    } else {
        let id = Command::new("id").arg("-un").output().expect("id -un");
        let name = String::from_utf8_lossy(&id.stdout).trim().to_string();
        let userdb = format!("uid={} gid={}", meta.uid(), meta.gid());
        (name.clone(), name, userdb)
    };
    format!(
        r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = {userdb} home={d}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"#
    )
}

impl Dovecot {
    /// Starts Dovecot on a free loopback port and waits for its greeting.
    pub fn start() -> Dovecot {
        let dir = tempfile::tempdir().expect("temp dir");
        // The login process runs as another user and must reach the sockets in here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        std::fs::set_permissions(
            dir.path().join("mail"),
            std::fs::Permissions::from_mode(0o777),
        )
        .expect("chmod mail");
        std::fs::write(
            dir.path().join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .expect("passwd file");
        let port = super::server::free_port();
        let conf = dir.path().join("dovecot.conf");
        std::fs::write(&conf, config(dir.path(), port)).expect("dovecot.conf");
        let child = Command::new(binary())
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot (apt-get install dovecot-imapd)");
        let mut dovecot = Dovecot { child, port, dir };
        dovecot.wait_ready();
        dovecot
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("dovecot exited ({status}); log:\n{}", self.log());
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("* OK") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not answer; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `HELPDESK_IMAP_*` settings pointing at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HELPDESK_IMAP_HOST", "127.0.0.1".into()),
            ("HELPDESK_IMAP_PORT", self.port.to_string()),
            ("HELPDESK_IMAP_SECURITY", "none".into()),
            ("HELPDESK_IMAP_USER", USER.into()),
            ("HELPDESK_IMAP_PASSWORD", PASSWORD.into()),
        ]
    }

    /// A logged-in session of our own, to place mail and look at flags.
    pub fn session(&self) -> imap::Session<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to dovecot");
        let mut client = imap::Client::new(stream);
        client.read_greeting().expect("greeting");
        client
            .login(USER, PASSWORD)
            .map_err(|(e, _)| e)
            .expect("login")
    }

    /// Places a message into `folder` (created when missing) by IMAP APPEND.
    pub fn append(&self, folder: &str, raw: &[u8]) {
        let mut session = self.session();
        let _ = session.create(folder);
        session
            .append(folder, raw)
            .finish()
            .expect("append message");
        let _ = session.logout();
    }

    /// The flags of every message in `folder`, in order, less `\Recent` (which only says that
    /// this session is the first to see it).
    pub fn flags(&self, folder: &str) -> Vec<Vec<String>> {
        let mut session = self.session();
        let mailbox = session.examine(folder).expect("examine folder");
        if mailbox.exists == 0 {
            return Vec::new();
        }
        let fetches = session.fetch("1:*", "FLAGS").expect("fetch flags");
        let flags = fetches
            .iter()
            .map(|f| {
                f.flags()
                    .iter()
                    .map(|flag| flag.to_string())
                    .filter(|flag| flag != "\\Recent")
                    .collect()
            })
            .collect();
        let _ = session.logout();
        flags
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its own children; SIGKILL would leave them running.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
