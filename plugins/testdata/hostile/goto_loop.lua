-- want: memory
-- error: memory limit of 16 MiB exceeded
-- A loop made with goto: tables are counted statement by statement.
function f(ctx)
  local list
  ::again::
  list = { list, { name = "x" } }
  goto again
end
