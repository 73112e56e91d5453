{
  "targets": [
    {
      "target_name": "hayate",
      "sources": [
        "native/addon.cc",
        "native/aead.cc",
        "native/arena.cc",
        "native/io.cc",
        "native/poller_epoll.cc",
        "native/poller_kqueue.cc",
        "native/udp.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
      "cflags_cc": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=c++17"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-Wall", "-Wextra", "-Werror", "-O2"],
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=c++17"]
      }
    }
  ]
}
