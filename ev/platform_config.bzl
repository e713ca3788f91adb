"""The per-platform backend choice of //ev:core, exposed without a C toolchain.

ev_backend_config carries the select()ed backend sources and EV_USE_* defines of backends.bzl as a
provider; platform_backend_test builds it for a given platform (a configuration transition on
--platforms) and checks it against an expected row. Other platforms have no C/C++ toolchain here,
so the check looks at what //ev:core would compile, not at a compiled library.
"""

BackendConfigInfo = provider(
    doc = "Backend sources and defines chosen for the target platform.",
    fields = ["srcs", "defines"],
)

def _config_impl(ctx):
    return [BackendConfigInfo(
        srcs = [f.basename for f in ctx.files.srcs],
        defines = ctx.attr.defines,
    )]

ev_backend_config = rule(
    implementation = _config_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".c"]),
        "defines": attr.string_list(),
    },
)

def _to_platform_impl(_settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

_to_platform = transition(
    implementation = _to_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _test_impl(ctx):
    info = ctx.attr.config[0][BackendConfigInfo]
    problems = []
    got_srcs = sorted(info.srcs)
    want_srcs = sorted(ctx.attr.expected_srcs)
    if got_srcs != want_srcs:
        problems.append("sources: got %s, want %s" % (got_srcs, want_srcs))
    got_defines = sorted(info.defines)
    want_defines = sorted(ctx.attr.expected_defines)
    if got_defines != want_defines:
        problems.append("defines: got %s, want %s" % (got_defines, want_defines))
    lines = ["#!/bin/sh", "echo 'platform %s'" % ctx.attr.platform.label]
    for p in problems:
        lines.append("echo 'FAIL: %s'" % p.replace("'", ""))
    lines.append("echo '%s'" % ("FAILED" if problems else "ok: %s" % ", ".join(got_srcs)))
    lines.append("exit %d" % (1 if problems else 0))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, "\n".join(lines) + "\n", is_executable = True)
    return [DefaultInfo(executable = script)]

platform_backend_test = rule(
    implementation = _test_impl,
    test = True,
    attrs = {
        "config": attr.label(cfg = _to_platform, providers = [BackendConfigInfo]),
        "platform": attr.label(),
        "expected_srcs": attr.string_list(),
        "expected_defines": attr.string_list(),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
