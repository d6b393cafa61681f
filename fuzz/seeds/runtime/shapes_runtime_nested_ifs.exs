import Config

if config_env() == :prod do
  if System.get_env("PHX_SERVER") do
    config :hello, HelloWeb.Endpoint, server: true
  end

  database_url =
    System.get_env("DATABASE_URL") ||
      raise """
      environment variable DATABASE_URL is missing.
      """

  if System.get_env("DATABASE_SSL") == "true" do
    config :hello, Hello.Repo, ssl: true

    if cacertfile = System.get_env("DATABASE_CACERTFILE") do
      config :hello, Hello.Repo, ssl_opts: [cacertfile: cacertfile]
    end
  else
    config :hello, Hello.Repo, ssl: false
  end

  config :hello, Hello.Repo, url: database_url

  config :hello, HelloWeb.Endpoint,
    url: [host: System.get_env("PHX_HOST") || "example.com", port: 443, scheme: "https"],
    secret_key_base: System.fetch_env!("SECRET_KEY_BASE")
end

if config_env() == :test do
  config :hello, Hello.Repo, pool_size: 2
end
