from selfauth.cli import main

main()
