//! The servers the harnesses talk to, each its own process: nginx returning a fixed chat
//! completion, or `shepherd-mock`. Both are killed when their handle drops.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A chat completion as OpenAI returns it (the spec's example, with usage details),
/// answered by nginx to every request.
pub const CHAT_RESPONSE: &str = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, benchmark! Nice to meet you.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_6f2eabb9a5"}"#;

/// A running server process and its base URL (ending in `/v1`).
pub struct Server {
    pub base_url: String,
    pub name: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `port`.
fn wait_listening(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited at start ({status})"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("nothing listened on port {port} within 10 s"))
}

/// The nginx binary, if installed (`apt-get install nginx-light`).
pub fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Starts nginx (one worker, keep-alive without a request cap, no logs) answering
/// [`CHAT_RESPONSE`] to any request under a free port; its files live in `dir`.
pub fn nginx(binary: &Path, dir: &Path) -> Result<Server, String> {
    let port = free_port().map_err(|e| e.to_string())?;
    let root = dir.join("nginx");
    std::fs::create_dir_all(root.join("tmp")).map_err(|e| e.to_string())?;
    let tmp = root.join("tmp");
    let tmp = tmp.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n\
         events {{ worker_connections 8192; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 100000000;\n  keepalive_timeout 300s;\n\
         \x20 client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n  fastcgi_temp_path {tmp}/fastcgi;\n\
         \x20 uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n\
         \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      default_type application/json;\n\
         \x20     return 200 '{CHAT_RESPONSE}';\n    }}\n  }}\n}}\n",
        root = root.display(),
    );
    let conf_path = root.join("nginx.conf");
    std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
    let mut child = Command::new(binary)
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    wait_listening(port, &mut child)?;
    Ok(Server {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        name: "nginx 1 worker, static chat completion".to_owned(),
        child,
    })
}

/// Starts `shepherd-mock` with `flags` and reads its base URL from its first line.
pub fn mock(binary: &Path, flags: &[&str]) -> Result<Server, String> {
    let mut child = Command::new(binary)
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout from the mock")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let base_url = line
        .trim()
        .rsplit_once("OPENAI_BASE_URL=")
        .map(|(_, url)| url.to_owned())
        .ok_or_else(|| format!("the mock printed {line:?}, not its base URL"))?;
    Ok(Server {
        base_url,
        name: format!("shepherd-mock {}", flags.join(" ")),
        child,
    })
}
