import Config

# Everything comes from the environment, in every environment.
config :hello, Hello.Repo,
  url: System.get_env("DATABASE_URL", "ecto://postgres:postgres@localhost/hello_dev"),
  pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10")

config :hello, HelloWeb.Endpoint,
  http: [port: String.to_integer(System.get_env("PORT") || "4000")],
  server: System.get_env("PHX_SERVER") != nil
