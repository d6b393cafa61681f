import Config

if config_env() == :prod do
  config :my_very_long_application_name,
         MyVeryLongApplicationName.Repo,
         url: System.fetch_env!("DATABASE_URL"),
         pool_size:
           String.to_integer(
             System.get_env("POOL_SIZE") || "10"
           )
end
