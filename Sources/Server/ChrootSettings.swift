// The settings as a worker sees them once its root is the `Chroot` folder: every DocumentRoot and AuthUserFile
// stripped of the folder's prefix (`/srv/chroot/www` → `/www`), and lookups that name open files by their path
// (there is no /proc inside). Pure: the real paths were resolved when the configuration was loaded.

public import Config
import Files

extension ServerSettings {
    /// These settings seen from inside `plan.directory` (`ChrootPlan.view`). What the sites show (their
    /// configuration, hence the roots on the status pages and `-S`) keeps the paths as configured; only what the
    /// worker opens changes: each scope's lookup root and AuthUserFile.
    public func insideChroot(_ plan: ChrootPlan) -> ServerSettings {
        var inside = self
        inside.sites = sites.map { site in
            // nil: a main server's root that no listener needs and that did not exist; it stays as written,
            // which inside the chroot names a path under the folder all the same.
            let root = plan.view(of: site.config.documentRoot)
            return SiteSettings(
                site, scope: site.scope.insideChroot(root: root, plan),
                locations: site.locations.map { $0.insideChroot(root: root, plan) })
        }
        return inside
    }
}

extension ScopeSettings {
    /// This scope with its lookup under `root` (the site's root inside the chroot; nil: unchanged) by path,
    /// and its AuthUserFile as seen inside.
    func insideChroot(root: String?, _ plan: ChrootPlan) -> ScopeSettings {
        var lookup = self.lookup
        if let root {
            lookup.root = root == "/" ? "" : root
            lookup.realRoot = root
        }
        lookup.namesByPath = true
        var auth = self.auth
        if let file = auth?.userFile { auth?.userFile = plan.view(of: file) ?? file }
        return ScopeSettings(
            lookup: lookup, staticSettings: staticSettings, headers: headers, errorDocuments: errorDocuments, auth: auth)
    }
}
