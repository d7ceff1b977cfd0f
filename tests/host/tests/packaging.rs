//! The .deb and the RPM as an operator gets them from `make deb` / `make rpm`: every agent of the
//! workspace at its path, 0755 root:root, with its man page; the control fields apt needs; lintian
//! clean; the .deb installs into a throwaway root where the packaged agents answer meta-data and
//! removes cleanly; the RPM carries the same payload. The packages are built from the release
//! binaries `make install` left in target/release (nothing is rebuilt).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use hasan_host_tests::cmd::{self, require_tool, Ran};
use hasan_host_tests::repo_root;

const DPKG: &str = "/usr/bin/dpkg";
const DPKG_DEB: &str = "/usr/bin/dpkg-deb";
const DPKG_SHLIBDEPS: &str = "/usr/bin/dpkg-shlibdeps";
const RPM: &str = "/usr/bin/rpm";
const RPMBUILD: &str = "/usr/bin/rpmbuild";
const LINTIAN: &str = "/usr/bin/lintian";
const OCF_DIR: &str = "/usr/lib/ocf/resource.d/hasan";
/// The operator's tool.
const HASAN: &str = "/usr/sbin/hasan";
/// Everything of the operator's tool: binary, man page, completions, the standby unit.
const HASAN_FILES: [&str; 6] = [
    HASAN,
    "/usr/share/man/man8/hasan.8",
    "/usr/share/bash-completion/completions/hasan",
    "/usr/share/zsh/vendor-completions/_hasan",
    "/usr/share/fish/vendor_completions.d/hasan.fish",
    "/usr/lib/systemd/system/hasan-standby.service",
];

/// What the workspace says the packages must hold.
#[derive(Debug)]
struct Workspace {
    version: String,
    agents: Vec<String>,
    fences: Vec<String>,
    /// Other names of fence agents (fence/aliases), installed as symlinks.
    aliases: Vec<String>,
}

impl Workspace {
    /// `[workspace.package] version`, every `agents/<name>` crate, every `fence/fence_hasan_*` crate.
    fn read() -> Result<Workspace> {
        let root = repo_root();
        let toml = std::fs::read_to_string(root.join("Cargo.toml"))?;
        let version = toml
            .split("[workspace.package]")
            .nth(1)
            .and_then(|s| {
                s.lines()
                    .take_while(|l| !l.starts_with('['))
                    .find_map(|l| l.strip_prefix("version = "))
            })
            .map(|v| v.trim().trim_matches('"').to_owned())
            .context("no [workspace.package] version in Cargo.toml")?;
        let crates = |dir: &str, prefix: &str| -> Result<Vec<String>> {
            let mut names = Vec::new();
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                return Ok(names);
            };
            for e in entries {
                let e = e?;
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(prefix) && e.path().join("Cargo.toml").is_file() {
                    names.push(name);
                }
            }
            names.sort();
            Ok(names)
        };
        let ws = Workspace {
            version,
            agents: crates("agents", "")?,
            fences: crates("fence", "fence_hasan_")?,
            aliases: std::fs::read_to_string(root.join("fence/aliases"))?
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .collect(),
        };
        ensure!(
            ws.agents.iter().any(|a| a == "vip"),
            "agents/vip missing: {ws:?}"
        );
        Ok(ws)
    }

    /// The executables and man pages, as absolute paths, man pages without `.gz`.
    fn payload(&self) -> BTreeSet<String> {
        let mut want = BTreeSet::new();
        for a in &self.agents {
            want.insert(format!("{OCF_DIR}/{a}"));
            want.insert(format!("/usr/share/man/man7/ocf_hasan_{a}.7"));
        }
        for f in self.fences.iter().chain(&self.aliases) {
            want.insert(format!("/usr/sbin/{f}"));
            want.insert(format!("/usr/share/man/man8/{f}.8"));
        }
        want.extend(HASAN_FILES.iter().map(|f| (*f).to_owned()));
        want
    }

    fn executables(&self) -> Vec<String> {
        self.agents
            .iter()
            .map(|a| format!("{OCF_DIR}/{a}"))
            .chain(self.fences.iter().map(|f| format!("/usr/sbin/{f}")))
            .chain(std::iter::once(HASAN.to_owned()))
            .collect()
    }
}

/// The part of a package list `payload()` speaks about: agents, fence agents, man pages.
fn payload_of(paths: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    paths
        .into_iter()
        .filter(|p| {
            p.starts_with(&format!("{OCF_DIR}/"))
                || p.starts_with("/usr/sbin/")
                || p.starts_with("/usr/share/man/")
                || HASAN_FILES.contains(&p.as_str())
        })
        .map(|p| p.strip_suffix(".gz").map(str::to_owned).unwrap_or(p))
        .collect()
}

/// Run a packaging script as `make deb` / `make rpm` do, without the variables `cargo test`
/// sets for test binaries (they must not make the nested `make build` rebuild anything).
fn run_script(script: &str, args: &[&Path], timeout: Duration) -> Result<Vec<PathBuf>> {
    let root = repo_root();
    let mut c = Command::new(root.join(script));
    c.args(args).current_dir(&root);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if (k.starts_with("CARGO") && k != "CARGO_HOME") || k == "LD_LIBRARY_PATH" {
            c.env_remove(&*k);
        }
    }
    let ran = cmd::run(&mut c, timeout)?.check()?;
    if let Some(line) = ran
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("Compiling "))
    {
        bail!(
            "{script} recompiled instead of packaging the binaries `make build` left in \
             target/release ({}); run `make build` first, or find what changed cargo's view",
            line.trim()
        );
    }
    Ok(ran
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect())
}

fn tools(list: &[&str]) -> Result<()> {
    for t in list {
        require_tool(t)?;
    }
    Ok(())
}

/// `make deb` into `out`; the one .deb it wrote.
fn build_deb(out: &Path) -> Result<PathBuf> {
    tools(&[DPKG, DPKG_DEB, DPKG_SHLIBDEPS])?;
    let wrote = run_script(
        "packaging/deb/build-deb.sh",
        &[out],
        Duration::from_secs(600),
    )?;
    match wrote.as_slice() {
        [deb] if deb.is_file() => Ok(deb.clone()),
        _ => bail!("build-deb.sh should print the one .deb it wrote, printed {wrote:?}"),
    }
}

/// `make rpm` into `out`; the binary RPM it wrote.
fn build_rpm(out: &Path) -> Result<PathBuf> {
    tools(&[RPM, RPMBUILD])?;
    let wrote = run_script(
        "packaging/rpm/build-rpm.sh",
        &[out],
        Duration::from_secs(600),
    )?;
    match wrote.as_slice() {
        [rpm] if rpm.is_file() && !rpm.to_string_lossy().ends_with(".src.rpm") => Ok(rpm.clone()),
        _ => bail!("build-rpm.sh should print the one binary RPM it wrote, printed {wrote:?}"),
    }
}

fn ok(program: &str, args: &[&str]) -> Result<String> {
    cmd::ok(program, args)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// One line of `dpkg-deb -c`: mode, owner/group, path (without the leading `.`).
#[derive(Debug)]
struct Entry {
    mode: String,
    owner: String,
    path: String,
}

fn deb_contents(deb: &Path) -> Result<Vec<Entry>> {
    let listing = ok(DPKG_DEB, &["-c", path_str(deb)])?;
    listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [mode, owner, _size, _date, _time, path, ..] => Ok(Entry {
                    mode: (*mode).to_owned(),
                    owner: (*owner).to_owned(),
                    path: path.trim_start_matches('.').to_owned(),
                }),
                _ => bail!("unexpected dpkg-deb -c line: {l}"),
            }
        })
        .collect()
}

#[test]
fn deb_holds_every_agent_0755_root_with_man_pages_and_nothing_outside_usr() -> Result<()> {
    let ws = Workspace::read()?;
    let out = tempfile::tempdir()?;
    let deb = build_deb(out.path())?;
    let arch = ok(DPKG, &["--print-architecture"])?.trim().to_owned();
    let name = format!("hasan_{}-1_{arch}.deb", ws.version);
    ensure!(
        deb.file_name().is_some_and(|n| n == name.as_str()),
        "package file is {}, expected {name}",
        deb.display()
    );
    let entries = deb_contents(&deb)?;
    for e in &entries {
        ensure!(
            e.path == "/" || e.path == "/usr/" || e.path.starts_with("/usr/"),
            "{} is outside /usr",
            e.path
        );
        ensure!(e.owner == "root/root", "{} is owned by {}", e.path, e.owner);
    }
    let find = |path: &str| entries.iter().find(|e| e.path == path);
    for exe in ws.executables() {
        let e = find(&exe).with_context(|| format!("{exe} is not in {name}"))?;
        ensure!(e.mode == "-rwxr-xr-x", "{exe} has mode {}", e.mode);
    }
    let mut man = ws.payload();
    man.retain(|p| p.starts_with("/usr/share/man/"));
    for page in man {
        let gz = format!("{page}.gz");
        let e = find(&gz).with_context(|| format!("man page {gz} is not in {name}"))?;
        ensure!(e.mode == "-rw-r--r--", "{gz} has mode {}", e.mode);
    }
    for doc in ["copyright", "changelog.Debian.gz"] {
        let path = format!("/usr/share/doc/hasan/{doc}");
        ensure!(find(&path).is_some(), "{path} is not in {name}");
    }
    let want = ws.payload();
    let got = payload_of(
        entries
            .iter()
            .filter(|e| !e.path.ends_with('/'))
            .map(|e| e.path.clone()),
    );
    ensure!(
        got == want,
        "payload differs from the workspace's agents\n got {got:?}\nwant {want:?}"
    );
    Ok(())
}

#[test]
fn deb_control_fields_and_md5sums_are_what_apt_and_dpkg_need() -> Result<()> {
    let ws = Workspace::read()?;
    let out = tempfile::tempdir()?;
    let deb = build_deb(out.path())?;
    let field = |f: &str| -> Result<String> {
        Ok(ok(DPKG_DEB, &["-f", path_str(&deb), f])?.trim().to_owned())
    };
    ensure!(field("Package")? == "hasan");
    let version = field("Version")?;
    ensure!(
        version == format!("{}-1", ws.version),
        "Version {version}, workspace version {}",
        ws.version
    );
    let arch = ok(DPKG, &["--print-architecture"])?.trim().to_owned();
    ensure!(field("Architecture")? == arch);
    ensure!(field("Section")? == "admin");
    let maintainer = field("Maintainer")?;
    ensure!(
        maintainer.contains(" <") && maintainer.ends_with('>') && maintainer.contains('@'),
        "Maintainer {maintainer:?}"
    );
    let depends = field("Depends")?;
    ensure!(
        depends.split(", ").any(|d| d.starts_with("libc6 (>= 2.")),
        "Depends {depends:?} lacks libc6 (>= 2.x)"
    );
    let recommends = field("Recommends")?;
    for r in ["pacemaker", "resource-agents", "zfsutils-linux"] {
        ensure!(
            recommends.split(", ").any(|x| x == r),
            "Recommends {recommends:?} lacks {r}"
        );
    }
    ensure!(field("Suggests")?.contains("fence-agents"));
    let description = field("Description")?;
    for name in ws.agents.iter().chain(&ws.fences) {
        ensure!(
            description.contains(name.as_str()),
            "Description does not name {name}:\n{description}"
        );
    }
    let size: u64 = field("Installed-Size")?.parse()?;
    ensure!(size > 0, "Installed-Size {size}");

    // md5sums covers every regular file, and dpkg can check the files against it.
    let md5sums = ok(DPKG_DEB, &["-I", path_str(&deb), "md5sums"])?;
    let summed: BTreeSet<String> = md5sums
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| format!("/{p}")))
        .collect();
    let files: BTreeSet<String> = deb_contents(&deb)?
        .into_iter()
        .filter(|e| e.mode.starts_with('-'))
        .map(|e| e.path)
        .collect();
    ensure!(
        summed == files,
        "md5sums lists {summed:?}, the package holds {files:?}"
    );
    Ok(())
}

#[test]
fn deb_is_lintian_clean() -> Result<()> {
    require_tool(LINTIAN)?;
    let out = tempfile::tempdir()?;
    let deb = build_deb(out.path())?;
    let ran: Ran = cmd::run(
        Command::new(LINTIAN).args(["--no-tag-display-limit", path_str(&deb)]),
        Duration::from_secs(300),
    )?;
    let bad: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("E: ") || l.starts_with("W: "))
        .collect();
    ensure!(
        bad.is_empty(),
        "lintian reports errors or warnings:\n{}",
        bad.join("\n")
    );
    ensure!(
        ran.code == Some(0),
        "lintian failed without reporting a tag:\n{ran}"
    );
    Ok(())
}

/// A private dpkg database and root directory, removed on drop (with the tempdir).
struct DpkgRoot {
    dir: tempfile::TempDir,
}

impl DpkgRoot {
    fn new() -> Result<DpkgRoot> {
        let dir = tempfile::Builder::new()
            .prefix("hasan-pkg-root.")
            .tempdir()?;
        let admin = dir.path().join("var/lib/dpkg");
        for d in ["info", "updates", "triggers"] {
            std::fs::create_dir_all(admin.join(d))?;
        }
        std::fs::write(admin.join("status"), "")?;
        std::fs::write(admin.join("available"), "")?;
        std::fs::create_dir_all(dir.path().join("var/log"))?;
        Ok(DpkgRoot { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn dpkg(&self, args: &[&str]) -> Result<Ran> {
        let root = format!("--root={}", self.path().display());
        cmd::run(
            Command::new(DPKG).arg(root).args(args),
            Duration::from_secs(120),
        )
    }
}

#[test]
fn deb_installs_into_a_root_where_the_packaged_agents_run_and_removes_cleanly() -> Result<()> {
    hasan_host_tests::require_root()?;
    let ws = Workspace::read()?;
    let out = tempfile::tempdir()?;
    let deb = build_deb(out.path())?;
    let root = DpkgRoot::new()?;
    // Dependencies (libc6 …) are not in the private database; no maintainer scripts exist.
    root.dpkg(&[
        "--force-depends",
        "--force-script-chrootless",
        "-i",
        path_str(&deb),
    ])?
    .check()?;
    let status = root.dpkg(&["-s", "hasan"])?.check()?.stdout;
    ensure!(
        status.contains("Status: install ok installed"),
        "dpkg -s hasan:\n{status}"
    );
    let verify = root.dpkg(&["--verify", "hasan"])?;
    ensure!(
        verify.success() && verify.stdout.trim().is_empty(),
        "dpkg --verify hasan found altered files:\n{verify}"
    );

    for a in &ws.agents {
        let bin = root
            .path()
            .join(format!("usr/lib/ocf/resource.d/hasan/{a}"));
        let got = cmd::run(
            Command::new(&bin).arg("meta-data").env_clear(),
            Duration::from_secs(10),
        )?
        .check()?
        .stdout;
        let golden = repo_root().join(format!("ocf-metadata/{a}.xml"));
        let want = std::fs::read_to_string(&golden)
            .with_context(|| format!("{} (make metadata)", golden.display()))?;
        ensure!(
            got == want,
            "packaged {a} meta-data differs from {}",
            golden.display()
        );
    }
    for f in &ws.fences {
        let bin = root.path().join(format!("usr/sbin/{f}"));
        let got = cmd::run(
            Command::new(&bin).args(["-o", "metadata"]).env_clear(),
            Duration::from_secs(10),
        )?
        .check()?
        .stdout;
        ensure!(
            got.contains("<resource-agent") && got.contains(f.as_str()),
            "packaged {f} -o metadata printed:\n{got}"
        );
    }

    root.dpkg(&["-r", "hasan"])?.check()?;
    for exe in ws.executables() {
        let p = root.path().join(exe.trim_start_matches('/'));
        ensure!(!p.exists(), "{} is left after dpkg -r hasan", p.display());
    }
    ensure!(
        !root.path().join("usr/share/doc/hasan/copyright").exists(),
        "doc left after dpkg -r hasan"
    );
    Ok(())
}

#[test]
fn rpm_carries_the_same_payload_as_the_deb_as_root_0755() -> Result<()> {
    let ws = Workspace::read()?;
    let out = tempfile::tempdir()?;
    let deb = build_deb(out.path())?;
    let rpm = build_rpm(out.path())?;
    let rpm_s = path_str(&rpm);

    let nv = ok(
        RPM,
        &["-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE}", rpm_s],
    )?;
    ensure!(
        nv.trim() == format!("hasan {} 1", ws.version),
        "RPM is {nv:?}; hasan.spec Version must be the workspace version {}",
        ws.version
    );

    let files = ok(
        RPM,
        &[
            "-qp",
            "--qf",
            "[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]",
            rpm_s,
        ],
    )?;
    let mut paths = Vec::new();
    for l in files.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        let [mode, owner, path] = f.as_slice() else {
            bail!("unexpected rpm -qp line: {l}");
        };
        ensure!(
            *owner == "root:root",
            "{path} is owned by {owner} in the RPM"
        );
        ensure!(
            path.starts_with("/usr/"),
            "{path} is outside /usr in the RPM"
        );
        if ws.executables().iter().any(|e| e == path) {
            ensure!(*mode == "-rwxr-xr-x", "{path} has mode {mode} in the RPM");
        }
        paths.push((*path).to_owned());
    }
    let listed: Vec<String> = ok(RPM, &["-qlp", rpm_s])?
        .lines()
        .map(str::to_owned)
        .collect();
    ensure!(
        listed == paths,
        "rpm -qlp and the file query disagree: {listed:?} / {paths:?}"
    );

    let from_rpm = payload_of(listed);
    let from_deb = payload_of(
        deb_contents(&deb)?
            .into_iter()
            .filter(|e| !e.path.ends_with('/'))
            .map(|e| e.path),
    );
    ensure!(
        from_rpm == from_deb && from_rpm == ws.payload(),
        "payloads differ\n rpm {from_rpm:?}\n deb {from_deb:?}\nwant {:?}",
        ws.payload()
    );
    Ok(())
}
