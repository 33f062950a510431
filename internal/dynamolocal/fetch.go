// Package dynamolocal fetches, starts and stops DynamoDB Local (the official
// AWS engine) for the local runner and the tests. The jar comes from the npm
// package amplify-dynamodb-simulator, pinned by version and by the sha256 of
// its tarball, and is cached in the repository's ignored .cache folder.
package dynamolocal

import "github.com/fangxian/fangxian/internal/npmfetch"

// Version is the pinned version of the npm package amplify-dynamodb-simulator,
// which carries the official DynamoDBLocal.jar.
const Version = "2.9.30"

// jar is that package's emulator folder, pinned by the tarball's sha256.
var jar = npmfetch.Package{
	Name: "amplify-dynamodb-simulator", Version: Version,
	SHA256: "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9",
	Prefix: "package/emulator/", Must: "DynamoDBLocal.jar", Size: "~56 MB",
}

// Ensure returns the folder holding DynamoDBLocal.jar and DynamoDBLocal_lib,
// fetching and checking them first if they are not cached yet.
func Ensure() (string, error) { return npmfetch.Ensure(jar) }
