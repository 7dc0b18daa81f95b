from truceline.cli.app import main

main()
