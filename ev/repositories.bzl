"""The external repositories ev's BUILD files need, for another workspace that depends on ev.

A consumer's WORKSPACE is three lines (examples/consumer/WORKSPACE):

    local_repository(name = "ev", path = "/path/to/ev")
    load("@ev//ev:repositories.bzl", "ev_dependencies")
    ev_dependencies()

ev_dependencies() declares each of these only if the WORKSPACE has not declared it before:
  rules_cc               ev's offline stand-in (third_party/rules_cc): its cc/defs.bzl re-exports
                         Bazel 4's native cc_* rules (Debian's bazel-rules-cc needs a newer Bazel)
  remote_coverage_tools  ev's stub (third_party/remote_coverage_tools): every *_test depends on it,
                         and Bazel 4's default would download it
  platforms              Debian's bazel-platforms (ev's select()s on @platforms//os and //cpu)
  rules_java             Debian's bazel-rules-java (Bazel 4's default would download it)
Nothing here downloads; tools/bazel installs the two Debian packages.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

def _ev_stub_repository_impl(ctx):
    # The stub's directory inside ev's own repository, wherever that is (local_repository,
    # http_archive, or ev itself): found through a file of a package next to it.
    third_party = ctx.path(Label("//third_party:BUILD.bazel")).dirname
    src = third_party.get_child(ctx.attr.stub)
    if not src.exists:
        fail("ev: %s is missing" % src)
    for entry in src.readdir():
        ctx.symlink(entry, entry.basename)

_ev_stub_repository = repository_rule(
    implementation = _ev_stub_repository_impl,
    attrs = {"stub": attr.string(mandatory = True)},
    local = True,
)

def ev_dependencies():
    """Declares the repositories ev's BUILD files load or select on, unless already declared."""
    maybe(_ev_stub_repository, name = "rules_cc", stub = "rules_cc")
    maybe(_ev_stub_repository, name = "remote_coverage_tools", stub = "remote_coverage_tools")
    maybe(native.local_repository, name = "platforms", path = "/usr/share/bazel/tools/platforms")
    maybe(native.local_repository, name = "rules_java", path = "/usr/share/bazel/rules/java")
