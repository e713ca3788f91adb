"""The cc_toolchain + toolchain() pairs of //toolchains, one per target platform."""

load("@rules_cc//cc:defs.bzl", "cc_toolchain")
load(":cc_toolchain_config.bzl", "missing_toolchain_config")

def ev_cc_toolchain(name, target_compatible_with, tags = []):
    """Declares <name>_cc_toolchain (the toolchain() to register) around <name>_config.

    Args:
      name: the platform's short name; <name>_config is its cc_toolchain_config target.
      target_compatible_with: the constraint values of the target platform.
      tags: for the cc_toolchain target.
    """
    cc_toolchain(
        tags = tags,
        name = name + "_cc",
        all_files = ":empty",
        ar_files = ":empty",
        as_files = ":empty",
        compiler_files = ":empty",
        dwp_files = ":empty",
        linker_files = ":empty",
        objcopy_files = ":empty",
        strip_files = ":empty",
        supports_param_files = 1,
        toolchain_config = ":" + name + "_config",
        toolchain_identifier = name,
    )
    native.toolchain(
        name = name + "_cc_toolchain",
        exec_compatible_with = [
            "@platforms//os:linux",
            "@platforms//cpu:x86_64",
        ],
        target_compatible_with = target_compatible_with,
        toolchain = ":" + name + "_cc",
        toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
    )

def ev_missing_toolchain(name, constraints, pretty_name):
    """A placeholder toolchain for a platform without a cross compiler here.

    Its analysis fails with a message naming the platform and how to register a real toolchain.

    Args:
      name: the platform's name in //platforms.
      constraints: the constraint values that identify the platform's OS.
      pretty_name: the platform's name in the message.
    """

    # "manual": `bazel build //...` must not analyze them (their analysis is the error).
    ev_cc_toolchain(name = name, target_compatible_with = constraints, tags = ["manual"])
    missing_toolchain_config(
        name = name + "_config",
        tags = ["manual"],
        constraints = str(constraints),
        platform_label = "//platforms:" + name,
        platform_name = pretty_name,
        short_name = name,
    )
