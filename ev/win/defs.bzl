"""windows_files: targets built for //platforms:windows from any configuration.

A configuration transition on --platforms, so a host test (an sh_test run by `bazel test //...`)
can depend on Windows programs that Bazel builds with the MinGW-w64 toolchain of //toolchains.
The transition also drops --copt and --linkopt: they carry the sanitizer flags of
--config=asan/ubsan/tsan, which MinGW-w64 has no runtime for.
"""

def _to_windows_impl(_settings, _attr):
    return {
        "//command_line_option:platforms": "//platforms:windows",
        "//command_line_option:copt": [],
        "//command_line_option:linkopt": [],
    }

_to_windows = transition(
    implementation = _to_windows_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
)

def _windows_files_impl(ctx):
    files = depset(transitive = [t[DefaultInfo].files for t in ctx.attr.srcs])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

windows_files = rule(
    implementation = _windows_files_impl,
    doc = "The default outputs of srcs, each built for //platforms:windows.",
    attrs = {
        "srcs": attr.label_list(cfg = _to_windows),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
