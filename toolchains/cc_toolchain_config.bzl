"""cc_toolchain_config rules for ev's cross toolchains (Debian's cross gcc packages), and one for the
platforms that have none here.

gcc_toolchain_config describes a GNU toolchain installed as /usr/bin/<prefix>gcc, <prefix>ar, ...:
the compile and link flags follow what Bazel's auto-configured host toolchain passes, so a target
builds the same way for every platform. Bazel adds its legacy features (include paths, defines,
copts, linkopts, -shared, PIC) itself, since no_legacy_features is not set.

missing_toolchain_config stands for a platform that has no cross compiler on this machine: it
fails at analysis time with a message naming the platform and the way to register a toolchain,
instead of Bazel's generic "No matching toolchains found".
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

_EXECUTABLE_LINK_ACTIONS = [ACTION_NAMES.cpp_link_executable]

def _flags(actions, flags, features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)],
        with_features = [with_feature_set(features = features)] if features else [],
    )

def _gcc_impl(ctx):
    prefix = ctx.attr.tool_prefix
    suffix = ctx.attr.tool_suffix
    tools = {
        "ar": "ar",
        "cpp": "cpp",
        "gcc": "gcc",
        "gcov": "gcov",
        "ld": "ld",
        "nm": "nm",
        "objcopy": "objcopy",
        "objdump": "objdump",
        "strip": "strip",
    }
    tool_paths = []
    for name, tool in tools.items():
        # Only the compiler drivers have a threading-model suffix (MinGW's -win32/-posix).
        s = suffix if tool in ("gcc", "cpp", "gcov") else ""
        tool_paths.append(tool_path(name = name, path = "/usr/bin/%s%s%s" % (prefix, tool, s)))

    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(name = "fastbuild"),
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [
                _flags(_COMPILE_ACTIONS, [
                                             "-U_FORTIFY_SOURCE",
                                             "-Wall",
                                             "-fno-omit-frame-pointer",
                                         ] + (["-fstack-protector"] if ctx.attr.stack_protector else []) +
                                         ctx.attr.compile_flags),
                _flags(_COMPILE_ACTIONS, ["-g"], ["dbg"]),
                _flags(_COMPILE_ACTIONS, [
                    "-g0",
                    "-O2",
                    "-D_FORTIFY_SOURCE=1",
                    "-DNDEBUG",
                    "-ffunction-sections",
                    "-fdata-sections",
                ], ["opt"]),
            ],
        ),
        feature(
            name = "default_link_flags",
            enabled = True,
            flag_sets = [
                _flags(_LINK_ACTIONS, ctx.attr.link_flags),
                _flags(_LINK_ACTIONS, ["-Wl,--gc-sections"], ["opt"]),
            ] + ([
                _flags(_EXECUTABLE_LINK_ACTIONS, ctx.attr.executable_link_flags),
            ] if ctx.attr.executable_link_flags else []),
        ),
        # Reproducible objects, as the host toolchain.
        feature(
            name = "unfiltered_compile_flags",
            enabled = True,
            flag_sets = [_flags(_COMPILE_ACTIONS, [
                "-fno-canonical-system-headers",
                "-Wno-builtin-macro-redefined",
                "-D__DATE__=\"redacted\"",
                "-D__TIMESTAMP__=\"redacted\"",
                "-D__TIME__=\"redacted\"",
            ])],
        ),
        feature(name = "supports_pic", enabled = ctx.attr.shared_libraries),
        feature(name = "supports_dynamic_linker", enabled = ctx.attr.shared_libraries),
    ]
    if ctx.attr.targets_windows:
        features.append(feature(name = "targets_windows", enabled = True))

    patterns = []
    if ctx.attr.targets_windows:
        patterns = [
            artifact_name_pattern(category_name = "executable", prefix = "", extension = ".exe"),
        ]

    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = ctx.attr.identifier,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = ctx.attr.target_system_name,
        target_cpu = ctx.attr.target_cpu,
        target_libc = ctx.attr.target_libc,
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = ctx.attr.target_libc,
        tool_paths = tool_paths,
        features = features,
        artifact_name_patterns = patterns,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
    )

gcc_toolchain_config = rule(
    implementation = _gcc_impl,
    provides = [CcToolchainConfigInfo],
    attrs = {
        "identifier": attr.string(mandatory = True),
        "tool_prefix": attr.string(mandatory = True, doc = "e.g. aarch64-linux-gnu-"),
        "tool_suffix": attr.string(doc = "after gcc/cpp/gcov, e.g. -win32 for MinGW"),
        "target_system_name": attr.string(mandatory = True),
        "target_cpu": attr.string(mandatory = True),
        "target_libc": attr.string(default = "glibc"),
        "compile_flags": attr.string_list(),
        "link_flags": attr.string_list(),
        "executable_link_flags": attr.string_list(doc = "for programs and tests only, not .so's"),
        "builtin_include_directories": attr.string_list(),
        "shared_libraries": attr.bool(default = True),
        "stack_protector": attr.bool(default = True, doc = "MinGW's needs libssp: off there"),
        "targets_windows": attr.bool(default = False),
    },
)

def _missing_impl(ctx):
    fail(("\n\nev: no C/C++ toolchain is registered for %s (%s) on this machine.\n" +
          "Debian has no cross compiler for it, so //toolchains registers only this placeholder.\n" +
          "To build ev for %s:\n" +
          "  - build on a %s host, without --platforms (Bazel auto-configures the host compiler), or\n" +
          "  - register a cross toolchain of your own that comes before ev's, e.g. in your WORKSPACE:\n" +
          "      register_toolchains(\"//my/toolchains:%s_cc_toolchain\")\n" +
          "    where that toolchain() has toolchain_type = \"@bazel_tools//tools/cpp:toolchain_type\" and\n" +
          "    target_compatible_with = %s\n" +
          "    (or pass --extra_toolchains=//my/toolchains:%s_cc_toolchain on the command line).\n" +
          "What is proven for %s here: see README.md, \"Platforms\".\n") % (
        ctx.attr.platform_name,
        ctx.attr.platform_label,
        ctx.attr.platform_name,
        ctx.attr.platform_name,
        ctx.attr.short_name,
        ctx.attr.constraints,
        ctx.attr.short_name,
        ctx.attr.platform_name,
    ))

missing_toolchain_config = rule(
    implementation = _missing_impl,
    provides = [CcToolchainConfigInfo],
    attrs = {
        "platform_name": attr.string(mandatory = True),
        "platform_label": attr.string(mandatory = True),
        "short_name": attr.string(mandatory = True),
        "constraints": attr.string(mandatory = True),
    },
)
